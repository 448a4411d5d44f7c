"""The desk's own records: revisions and the history of what was done to each story."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .article import Article


class Revision(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    data = models.JSONField(help_text="Snapshot of the editable fields, bylines and tags.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at"], name="revision_article")]

    def __str__(self):
        return f"Revision of {self.article} at {self.created_at:%Y-%m-%d %H:%M}"


class ArticleEvent(models.Model):
    """Who did what to a story, when: the desk's history. Kept when the story is deleted."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        SUBMIT = "submit", "Submitted for review"
        RETURN_TO_DRAFT = "return_to_draft", "Sent back to draft"
        PUBLISH = "publish", "Published"
        SCHEDULE = "schedule", "Scheduled"
        WITHDRAW = "withdraw", "Withdrawn"
        RESTORE = "restore", "Restored a version"
        ASSIGN = "assign", "Assigned"
        DELETE = "delete", "Deleted"

    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["article", "-created_at"], name="articleevent_article"),
            models.Index(fields=["-created_at"], name="articleevent_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    action__in=[
                        "create",
                        "submit",
                        "return_to_draft",
                        "publish",
                        "schedule",
                        "withdraw",
                        "restore",
                        "assign",
                        "delete",
                    ]
                ),
                name="articleevent_action_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()}: {self.article or self.detail}"


class Notification(models.Model):
    """A story waits for someone, or moved on: shown in the admin, e-mailed after commit."""

    class Verb(models.TextChoices):
        SUBMITTED = "submitted", "sent for review"
        RETURNED = "returned", "sent back to draft"
        PUBLISHED = "published", "published"
        ASSIGNED = "assigned", "assigned to you"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verb = models.CharField(max_length=20, choices=Verb.choices)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verb__in=["submitted", "returned", "published", "assigned"]),
                name="notification_verb_valid",
            ),
        ]

    def __str__(self):
        who = self.actor.get_username() if self.actor else "Someone"
        return f"{who}: “{self.article}” {self.get_verb_display()}"
