"""The project's own records: webhooks and their deliveries.

They live in `newsroom`, not in `articles` or `comments`, because a webhook listens to
both apps (stories and comments) and neither app needs to know it exists: the project
sits above the apps and listens to their signals (newsroom/webhooks.py).
"""

import base64
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Event(models.TextChoices):
    ARTICLE_PUBLISHED = "article.published", "A story goes live"
    ARTICLE_UPDATED = "article.updated", "A live story is edited"
    ARTICLE_WITHDRAWN = "article.withdrawn", "A live story is taken down"
    ARTICLE_CORRECTED = "article.corrected", "A correction is added to a live story"
    COMMENT_APPROVED = "comment.approved", "A reader's comment is approved"


def new_secret():
    """A signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id():
    return f"msg_{uuid.uuid4().hex}"


def validate_events(value):
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one event.")
    unknown = sorted(set(value) - set(Event.values))
    if unknown:
        raise ValidationError("Unknown events: %(events)s", params={"events": ", ".join(unknown)})


class Webhook(models.Model):
    name = models.CharField(max_length=100, help_text="Who receives it, e.g. “Slack #news”.")
    url = models.URLField(
        max_length=500,
        help_text="Where the events are POSTed (https). Private and local addresses are refused.",
    )
    events = models.JSONField(
        default=list, validators=[validate_events], help_text="The events this receiver gets."
    )
    secret = models.CharField(
        max_length=100,
        default=new_secret,
        editable=False,
        help_text="Signs every delivery (Standard Webhooks); shown once, when made.",
    )
    active = models.BooleanField(
        default=True, help_text="Switched off by itself when deliveries keep failing."
    )
    failure_streak = models.PositiveIntegerField(
        default=0, editable=False, help_text="Deliveries that failed in a row (every attempt)."
    )
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        permissions = [("manage_webhooks", "Can manage webhooks and read their deliveries")]
        constraints = [
            models.CheckConstraint(condition=~Q(url=""), name="webhook_url_not_empty"),
            models.CheckConstraint(
                condition=Q(secret__startswith="whsec_"),  # noqa: S106 - the form, not a secret
                name="webhook_secret_form",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from . import outbound

        if self.url:
            try:
                outbound.check_url(self.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
            except outbound.AddressRefused as exc:
                raise ValidationError({"url": str(exc)}) from exc

    def wants(self, event):
        return self.active and event in self.events

    @property
    def secret_hint(self):
        return f"whsec_…{self.secret[-4:]}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RETRYING = "retrying", "Retrying"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Not sent (switched off)"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    payload = models.JSONField(help_text="The JSON body sent, as signed.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long the last attempt took, in milliseconds."
    )
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["webhook", "-created_at"], name="delivery_webhook_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "retrying", "delivered", "failed", "cancelled"]),
                name="delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="delivery_delivered_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.event} to {self.webhook} ({self.get_status_display()})"
