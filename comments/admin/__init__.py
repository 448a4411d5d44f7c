"""The comments app in the admin: the moderation queue (`queue.py`, the Comment change
list) with its filters and health chart, and the records beside it (`records.py`)."""

from .health import queue_health
from .queue import CommentAdmin
from .records import (
    BlockedCommenterAdmin,
    BlockedTermAdmin,
    CommentFlagAdmin,
    ModerationEventAdmin,
)

__all__ = [
    "BlockedCommenterAdmin",
    "BlockedTermAdmin",
    "CommentAdmin",
    "CommentFlagAdmin",
    "ModerationEventAdmin",
    "queue_health",
]
