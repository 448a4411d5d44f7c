"""The image library."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Image(models.Model):
    file = models.ImageField(upload_to="images/%Y/%m/", width_field="width", height_field="height")
    alt_text = models.CharField(
        max_length=300,
        help_text="Describe the picture for readers who cannot see it. Required.",
    )
    caption = models.CharField(max_length=500, blank=True)
    credit = models.CharField(max_length=200, blank=True)
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    focal_x = models.FloatField(
        default=0.5, help_text="Horizontal focal point, 0 (left) to 1 (right), kept in crops."
    )
    focal_y = models.FloatField(
        default=0.5, help_text="Vertical focal point, 0 (top) to 1 (bottom), kept in crops."
    )
    renditions = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Derived files made when the image is saved: name → {url, width, height}.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    source = models.CharField(
        max_length=300,
        blank=True,
        default="",
        editable=False,
        help_text="Where an import took the file from (e.g. "
        "wordpress:example.com/2019/03/photo.jpg): one picture per source, however often "
        "the import runs.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=~Q(source=""),
                name="image_one_per_import_source",
            ),
            models.CheckConstraint(
                condition=Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="image_focal_point_in_frame",
            ),
        ]

    def __str__(self):
        return self.alt_text or self.file.name

    def save(self, *args, **kwargs):
        from .. import images

        if self.file and not self.file._committed:
            upload = self.file.file
            if not getattr(upload, "newsroom_clean", False):
                # Everything stored is re-encoded: no EXIF, GPS or hidden payload survives.
                self.file = images.clean_original(upload, self.file.name)
            self.width, self.height = self.file.width, self.file.height
        elif self.file and not (self.width and self.height):
            self.width, self.height = self.file.width, self.file.height
        changed = not self._state.adding
        super().save(*args, **kwargs)
        if self._renditions_stale(kwargs.get("update_fields")):
            if self.width * self.height > settings.IMAGE_BACKGROUND_PIXELS:
                self._refresh_renditions_later()
            else:
                self.refresh_renditions()
        if changed:
            from ..body import rerender, rerender_updates
            from .live import LiveUpdate

            # Bodies show this picture's renditions and words: render them again.
            rerender(self.body_articles.all())
            rerender_updates(LiveUpdate.objects.showing_image(self.pk))

    def used_by(self):
        """The stories that show this picture: as their lead image or in their body
        (inline or in a gallery), or in the body of one of their live updates. A picture
        in use cannot be deleted."""
        from .article import Article
        from .live import LiveUpdate

        in_updates = LiveUpdate.objects.showing_image(self.pk).values("article_id")
        return (
            Article.objects.filter(
                Q(lead_image=self) | Q(bodyimage__image=self) | Q(pk__in=in_updates)
            )
            .distinct()
            .order_by("headline", "pk")
        )

    def _refresh_renditions_later(self):
        """A big picture is cut by a worker, not in the editor's request. Until then
        readers get the original (`rendition_url`, `srcset` fall back to it), never the
        renditions of a picture this one replaced."""
        from newsroom.tasks import enqueue_after_commit

        from .. import images

        if self.renditions and self.file.name != getattr(self, "_rendered_from", (None,))[0]:
            images.delete_renditions(self.renditions)
            self.renditions = {}
            type(self).objects.filter(pk=self.pk).update(renditions={})
        enqueue_after_commit(images.render_later, self.pk, list(self._rendition_source()))

    def _renditions_stale(self, update_fields):
        if not self.file:
            return False
        if update_fields is not None and not {"file", "focal_x", "focal_y"} & set(update_fields):
            return False
        return not self.renditions or self._rendition_source() != getattr(
            self, "_rendered_from", None
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Only when the fields are loaded: touching a deferred one would query again
        # (and recurse through from_db).
        if {"file", "focal_x", "focal_y"} <= set(field_names):
            instance._rendered_from = instance._rendition_source()
        return instance

    def _rendition_source(self):
        return (self.file.name, self.focal_x, self.focal_y)

    def refresh_renditions(self):
        """Make the renditions again from the stored original (derived data, made on save)."""
        from .. import images

        old = self.renditions
        self.renditions = images.make_renditions(self)
        images.delete_renditions(old, keep={entry["path"] for entry in self.renditions.values()})
        type(self).objects.filter(pk=self.pk).update(renditions=self.renditions)
        self._rendered_from = self._rendition_source()

    @property
    def srcset(self):
        """The WebP widths for `<img srcset>`, narrowest first; empty when none exist."""
        widths = sorted(
            (entry["width"], entry["url"])
            for name, entry in self.renditions.items()
            if name.startswith("w") and isinstance(entry, dict)
        )
        return ", ".join(f"{url} {width}w" for width, url in widths)

    def rendition_url(self, name):
        entry = self.renditions.get(name) if self.renditions else None
        return entry["url"] if entry else self.file.url

    @property
    def largest_url(self):
        """The widest WebP rendition (a gallery's full view), or the original."""
        widths = [
            (entry["width"], entry["url"])
            for name, entry in (self.renditions or {}).items()
            if name.startswith("w") and isinstance(entry, dict)
        ]
        return max(widths)[1] if widths else self.file.url

    @property
    def default_url(self):
        """A mid-size rendition for plain `src`, or the original when there is none."""
        for name in ("w960", "w640", "w1280", "w320", "w1920"):
            if self.renditions and name in self.renditions:
                return self.renditions[name]["url"]
        return self.file.url


class Embed(models.Model):
    """What an oEmbed provider said about one page address, kept so that reading an
    article never waits on the provider (articles/embeds.py resolves it)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not asked yet"
        RESOLVED = "resolved", "Resolved"
        FAILED = "failed", "Provider did not answer"

    url = models.URLField(max_length=2000, unique=True, help_text="The page address pasted.")
    provider = models.CharField(max_length=100, help_text="The provider's name in EMBED_PROVIDERS.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    kind = models.CharField(max_length=20, blank=True, help_text="oEmbed type: video, rich, ...")
    title = models.CharField(max_length=500, blank=True)
    author_name = models.CharField(max_length=300, blank=True)
    html = models.TextField(
        blank=True, help_text="The provider's own HTML, kept for the record; never shown as is."
    )
    frame_url = models.URLField(
        max_length=2000, blank=True, help_text="What the frame loads after the reader's click."
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    thumbnail = models.ImageField(
        upload_to="embeds/%Y/%m/",
        width_field="thumbnail_width",
        height_field="thumbnail_height",
        blank=True,
        help_text="Our own copy of the provider's picture.",
    )
    thumbnail_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    thumbnail_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    error = models.CharField(max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "resolved", "failed"]),
                name="embed_status_valid",
            ),
            models.CheckConstraint(condition=Q(url__startswith="https://"), name="embed_url_https"),
            models.CheckConstraint(
                condition=~Q(status="resolved") | ~Q(frame_url=""),
                name="embed_resolved_has_frame",
            ),
        ]

    def __str__(self):
        return self.title or self.url

    @property
    def is_resolved(self):
        return self.status == self.Status.RESOLVED and bool(self.frame_url)
