from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .rendering import render_comment

STATUS_VALUES = ["pending", "approved", "rejected", "spam"]


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def in_moderation(self):
        """The queue: comments waiting for a moderator, oldest first."""
        return self.filter(status=Comment.Status.PENDING).order_by("created_at", "id")


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SPAM = "spam", "Spam"

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        help_text="The signed-in account that wrote it, if any.",
    )
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True, help_text="Never shown to readers.")
    body = models.TextField(help_text="As the reader typed it.")
    body_html = models.TextField(editable=False, help_text="Rendered once, when saved.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    moderation_reason = models.TextField(
        blank=True, help_text="Why auto-moderation or a moderator gave this status."
    )
    created_at = models.DateTimeField(default=timezone.now)
    ip_hash = models.CharField(
        max_length=64, blank=True, help_text="Keyed hash of the address; never the address."
    )
    user_agent = models.CharField(max_length=500, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    wp_id = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, editable=False, help_text="WordPress comment ID."
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        permissions = [("can_moderate", "Can moderate comments")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=STATUS_VALUES), name="comment_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="comment_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="comment_queue"),
            models.Index(fields=["article", "status", "created_at"], name="comment_thread"),
            models.Index(fields=["ip_hash", "created_at"], name="comment_by_address"),
        ]

    def __str__(self):
        return f"{self.name} on {self.article_id}: {self.body[:40]}"

    def save(self, *args, **kwargs):
        self.body_html = render_comment(self.body)
        super().save(*args, **kwargs)


class CommentFlag(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=300)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    reporter_hash = models.CharField(
        max_length=64, help_text="Keyed hash identifying the reporter (account or address)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter_hash"], name="one_flag_per_reporter"
            ),
        ]

    def __str__(self):
        return f"Report on comment {self.comment_id}: {self.reason[:40]}"


class ModerationEvent(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="Empty when auto-moderation or a reader's reports made the change.",
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_status__in=STATUS_VALUES)
                & (Q(from_status="") | Q(from_status__in=STATUS_VALUES)),
                name="moderation_event_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["-created_at"], name="moderation_event_created")]

    def __str__(self):
        return f"{self.from_status or 'new'} → {self.to_status} on comment {self.comment_id}"


class BlockedTerm(models.Model):
    class Action(models.TextChoices):
        HOLD = "hold", "Hold for review"
        REJECT = "reject", "Reject"
        SPAM = "spam", "Mark as spam"

    term = models.CharField(max_length=100, unique=True)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.HOLD)

    class Meta:
        ordering = ["term"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["hold", "reject", "spam"]), name="blocked_term_action_valid"
            ),
            models.CheckConstraint(condition=~Q(term=""), name="blocked_term_not_empty"),
        ]

    def __str__(self):
        return self.term
