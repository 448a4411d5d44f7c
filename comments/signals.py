"""What the comments app announces; caches, webhooks and notifications listen."""

from django.dispatch import Signal

# A moderator (or the readers' reports) moved a comment from one status to another.
# Sent by `Comment.moderate()`, which changes the status with a guarded UPDATE (so no
# post_save): sender=Comment, comment, from_status, to_status, actor (a user or None).
comment_moderated = Signal()
