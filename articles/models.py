from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django_prose_editor.fields import ProseEditorField
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from .richtext import BODY_CONFIG, sanitize_body, word_count


class Section(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text="Shown at the top of the section page.")
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Sections are listed in this order on the home page and menus."
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:section", kwargs={"slug": self.slug})


class Author(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    job_title = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True, help_text="Plain text; shown on the author page.")
    photo = models.ImageField(upload_to="authors/", blank=True)
    email = models.EmailField(blank=True, help_text="For the newsroom only; never shown.")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author",
        help_text="The staff account that writes as this author, if any.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:author", kwargs={"slug": self.slug})


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

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="image_focal_point_in_frame",
            ),
        ]

    def __str__(self):
        return self.alt_text or self.file.name

    def save(self, *args, **kwargs):
        if self.file and not (self.width and self.height):
            self.width, self.height = self.file.width, self.file.height
        super().save(*args, **kwargs)


class TaggedArticle(TaggedItemBase):
    """Tags through a real foreign key, so tag pages join on an index."""

    content_object = models.ForeignKey("Article", on_delete=models.CASCADE)

    class Meta:
        indexes = [models.Index(fields=["tag", "content_object"])]


class ArticleQuerySet(models.QuerySet):
    def live(self):
        """The one visibility rule: published, and the publication time has come."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())

    def scheduled(self):
        return self.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    headline = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=300, unique=True, help_text="The last part of the article's address."
    )
    standfirst = models.TextField(
        blank=True, help_text="The summary under the headline; also used in lists and feeds."
    )
    body = ProseEditorField(config=BODY_CONFIG, sanitize=True, blank=True)
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles", null=True, blank=True
    )
    authors = models.ManyToManyField(Author, through="Byline", related_name="articles", blank=True)
    tags = TaggableManager(through=TaggedArticle, blank=True)
    lead_image = models.ForeignKey(
        Image, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lead_image_caption = models.CharField(
        max_length=500, blank=True, help_text="Leave empty to use the image's own caption."
    )
    lead_image_credit = models.CharField(
        max_length=200, blank=True, help_text="Leave empty to use the image's own credit."
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=False
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the article goes live. A time in the future schedules it (embargo).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="articles_created",
    )
    featured = models.BooleanField(default=False, help_text="Lead the home page with this story.")
    comments_enabled = models.BooleanField(default=True)
    comments_close_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty to use the site-wide rule."
    )
    seo_title = models.CharField(
        max_length=200, blank=True, help_text="For search engines; the headline when empty."
    )
    seo_description = models.CharField(
        max_length=300, blank=True, help_text="For search engines; the standfirst when empty."
    )
    word_count = models.PositiveIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Raised on every save; guards against lost edits."
    )
    wp_id = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, editable=False, help_text="WordPress post ID."
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        permissions = [
            ("publish_article", "Can publish, schedule and withdraw articles"),
            ("edit_any_article", "Can edit articles written by others"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "review", "published", "withdrawn"]),
                name="article_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="article_published_has_date",
            ),
            models.CheckConstraint(condition=~Q(slug=""), name="article_slug_not_empty"),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_status_pub"),
            models.Index(fields=["section", "status", "-published_at"], name="article_section_pub"),
            models.Index(fields=["-updated_at"], name="article_updated"),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.headline)[:300] or "article"
        self.body = sanitize_body(self.body)
        self.word_count = word_count(self.body)
        self.updated_at = timezone.now()
        bump = self.pk is not None and not self._state.adding
        if bump:
            self.version = F("version") + 1
        super().save(*args, **kwargs)
        if bump:
            self.version = type(self).objects.values_list("version", flat=True).get(pk=self.pk)

    def get_absolute_url(self):
        when = timezone.localtime(self.published_at or self.created_at)
        return reverse(
            "articles:detail",
            kwargs={
                "year": f"{when.year:04d}",
                "month": f"{when.month:02d}",
                "day": f"{when.day:02d}",
                "slug": self.slug,
            },
        )

    @property
    def is_live(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @cached_property
    def byline_authors(self):
        """Authors in byline order (uses a prefetched `bylines` when there is one)."""
        return [byline.author for byline in self.bylines.all()]

    @property
    def reading_minutes(self):
        from .richtext import WORDS_PER_MINUTE

        return max(1, round(self.word_count / WORDS_PER_MINUTE))


class Byline(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="byline_position_unique"),
            models.UniqueConstraint(fields=["article", "author"], name="byline_author_unique"),
        ]

    def __str__(self):
        return f"{self.author} on {self.article}"


class Correction(models.Model):
    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        CLARIFICATION = "clarification", "Clarification"
        UPDATE = "update", "Update"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(help_text="What was wrong and what is right; shown to readers.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["correction", "clarification", "update"]),
                name="correction_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="correction_text_not_empty"),
        ]
        indexes = [models.Index(fields=["-created_at"], name="correction_created")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.article}"


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


class SlugRedirect(models.Model):
    old_path = models.CharField(max_length=500, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="redirects")

    class Meta:
        ordering = ["old_path"]

    def __str__(self):
        return f"{self.old_path} → {self.article}"
