"""The desk's own records: revisions."""

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
