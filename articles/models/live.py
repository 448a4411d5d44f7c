"""Live coverage: the updates of a live article, and the site-wide breaking-news banner.

A live article (`Article.kind == "live"`) is a story like any other (visibility,
address, workflow) whose page also lists its `LiveUpdate`s, newest first, and which
readers' pages poll for new ones (`articles:live_updates`). An update is seen by
readers when it is published and its article is live; a draft or a withdrawn update
never is.
"""

from html import escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ..richtext import BODY_CONFIG, sanitize_body
from .article import Article, BodyField, SanitizedBody
from .taxonomy import Author


class LiveUpdateQuerySet(models.QuerySet):
    def public(self):
        """The one visibility rule for updates: published, on a live article. Newest
        first, as readers see them."""
        return self.filter(
            status=LiveUpdate.Status.PUBLISHED, article__in=Article.objects.live()
        ).order_by("-published_at", "-id")

    def showing_image(self, image_pk):
        """Updates whose body shows the picture `image_pk`, inline or in a gallery (read
        from the stored body: an update keeps no table of its pictures)."""
        pk = int(image_pk)
        return self.filter(
            Q(body__contains=f'data-image="{pk}"')
            | Q(body__regex=rf'data-gallery="([0-9]+,)*{pk}(,[0-9]+)*"')
        )

    def showing_embed(self, url):
        """Updates whose body embeds the page address `url` (read from the stored body,
        where the address is an attribute, escaped as such)."""
        return self.filter(body__contains=f'data-embed="{escape(url, quote=True)}"')

    def after(self, update):
        """Updates published after `update` (by publication time, then id): an update
        written earlier and published later is not missed."""
        return self.filter(
            Q(published_at__gt=update.published_at)
            | Q(published_at=update.published_at, id__gt=update.pk)
        )


class LiveUpdate(SanitizedBody, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="live_updates")
    title = models.CharField(max_length=200, blank=True, help_text="Optional; a short heading.")
    body = BodyField(config=BODY_CONFIG, sanitize=sanitize_body, blank=True)
    body_html = models.TextField(
        blank=True, editable=False, help_text="What readers get: the body rendered when saved."
    )
    body_media = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Made with body_html: the body's pictures and the origins its embeds load from.",
    )
    author = models.ForeignKey(
        Author,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="live_updates",
        help_text="Whose update this is, as in bylines.",
    )
    pinned = models.BooleanField(default=False, help_text="Keep it at the top of the page.")
    key_event = models.BooleanField(
        default=False, help_text="List it in the key events summary at the top of the page."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When readers first got it."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Raised on every save; guards against lost edits."
    )

    objects = LiveUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "withdrawn"]),
                name="liveupdate_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="liveupdate_published_has_date",
                violation_error_message="A published or withdrawn update has a publication time.",
            ),
            models.CheckConstraint(
                condition=~Q(body="") | ~Q(title=""),
                name="liveupdate_not_empty",
                violation_error_message="An update needs a title or some text.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["article", "status", "-published_at", "-id"], name="liveupdate_article"
            ),
        ]

    def __str__(self):
        return self.title or f"Update {self.pk or '(new)'} on {self.article_id}"

    def save(self, *args, **kwargs):
        from ..body import render_body

        self.set_body(self.body)
        rendered = render_body(self.body)
        self.body_html = rendered.html
        self.body_media = rendered.media
        self.updated_at = timezone.now()
        bump = self.pk is not None and not self._state.adding
        if bump:
            self.version = F("version") + 1
        super().save(*args, **kwargs)
        if bump:
            self.version = type(self).objects.values_list("version", flat=True).get(pk=self.pk)

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#update-{self.pk}"

    def clean(self):
        if self.article_id and self.article.kind != Article.Kind.LIVE:
            raise ValidationError("Updates are posted to live articles only.")
        self.set_body(self.body)
        if not self.body.strip() and not self.title.strip():
            raise ValidationError("An update needs a title or some text.")

    def publish(self, *, by):
        """Readers get it now (an update published again after withdrawal keeps its
        first time, and so its place)."""
        from ..workflow import can_publish_update, require

        require(can_publish_update(by, self.article), "You may not publish updates here.")
        if self.published_at is None:
            self.published_at = timezone.now()
        self.status = self.Status.PUBLISHED
        self.save()

    def withdraw(self, *, by):
        """Take it off the page; it is kept for the record."""
        from ..workflow import can_publish_update, require

        require(can_publish_update(by, self.article), "You may not withdraw updates here.")
        if self.status != self.Status.PUBLISHED:
            raise ValidationError("Only a published update can be withdrawn.")
        self.status = self.Status.WITHDRAWN
        self.save()

    @property
    def is_public(self):
        return self.status == self.Status.PUBLISHED


class BreakingQuerySet(models.QuerySet):
    def showing(self, now=None):
        """The banners readers see now: started and not yet ended."""
        now = now or timezone.now()
        return self.filter(starts_at__lte=now, ends_at__gt=now).order_by("-starts_at", "-id")

    def next_change(self):
        """When, by the clock alone, a banner next appears or goes (or None)."""
        now = timezone.now()
        times = [
            self.filter(starts_at__gt=now)
            .order_by("starts_at")
            .values_list("starts_at", flat=True)
            .first(),
            self.filter(ends_at__gt=now)
            .order_by("ends_at")
            .values_list("ends_at", flat=True)
            .first(),
        ]
        return min(filter(None, times), default=None)


class Breaking(models.Model):
    """The site-wide breaking news banner: in every public page's HTML from `starts_at`
    until `ends_at`, then gone by itself."""

    text = models.CharField(max_length=200)
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "live"},
        help_text="A live story of ours to link to. Shown only while it is live.",
    )
    url = models.URLField(max_length=1000, blank=True, help_text="Or an address to link to.")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = BreakingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = "breaking news banner"
        verbose_name_plural = "breaking news banners"
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="breaking_text_not_empty"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="breaking_ends_after_start",
                violation_error_message="The banner must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(article__isnull=True) | Q(url=""),
                name="breaking_article_or_url",
                violation_error_message="Link a story of ours or an address, not both.",
            ),
        ]

    def __str__(self):
        return self.text

    def clean(self):
        if self.article_id and self.article.kind != Article.Kind.LIVE:
            raise ValidationError({"article": "The banner links only live coverage."})

    @property
    def link(self):
        """Where the banner points, or "": an article only while it is live coverage
        readers can see."""
        if self.article_id:
            article = self.article
            if article.kind == Article.Kind.LIVE and article.is_live:
                return article.get_absolute_url()
            return ""
        return self.url
