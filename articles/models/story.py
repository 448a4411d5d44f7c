"""What a story is part of and points to: series, curated related links, and the record
of which library images a body shows."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from newsroom.addresses import address

from .media import Image


class Series(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True, help_text="Shown at the top of the series page.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "series"
        constraints = [models.CheckConstraint(condition=~Q(slug=""), name="series_slug_not_empty")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return address("articles:series", slug=self.slug)


class RelatedLink(models.Model):
    """A related story an editor chose: one of ours (`target`) or elsewhere (`url` and
    `title`). Shown before the automatic ones; a target that is not live is left out."""

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="related_links"
    )
    position = models.PositiveSmallIntegerField(default=0)
    target = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="A story of ours. Leave empty to link elsewhere.",
    )
    url = models.URLField(max_length=1000, blank=True, help_text="An address on another site.")
    title = models.CharField(
        max_length=300, blank=True, help_text="The link's text, for an address elsewhere."
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target__isnull=False) & Q(url=""))
                | (Q(target__isnull=True) & ~Q(url="") & ~Q(title="")),
                name="relatedlink_target_or_url",
                violation_error_message="Choose one of our stories, or give an address "
                "elsewhere with its title (not both).",
            ),
            models.CheckConstraint(
                condition=~Q(target=F("article")),
                name="relatedlink_not_itself",
                violation_error_message="A story cannot be related to itself.",
            ),
        ]
        indexes = [models.Index(fields=["article", "position"], name="relatedlink_article")]

    def __str__(self):
        return self.title or str(self.target)

    @property
    def is_external(self):
        return self.target_id is None


class BodyImage(models.Model):
    """An article's body shows this library image (made when the article is saved).

    Lets a changed picture re-render the bodies that show it, and keeps a picture in
    use from being deleted (PROTECT)."""

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE)
    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="body_uses")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "image"], name="bodyimage_unique"),
        ]

    def __str__(self):
        return f"{self.image} in {self.article}"
