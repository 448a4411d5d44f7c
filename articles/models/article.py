"""Articles and what hangs on them: bylines, tags, corrections, old addresses."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django_prose_editor.fields import ProseEditorField
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from newsroom.addresses import address

from ..richtext import BODY_CONFIG, sanitize_body, word_count
from .media import Embed, Image
from .story import BodyImage
from .taxonomy import Author, Section


class BodyField(ProseEditorField):
    """A story body (an article's, a live update's): validating it sanitises it through
    the model (`SanitizedBody.set_body()`), so a form's save sanitises it once, and the
    model's `save()` covers every other path."""

    def clean(self, value, model_instance):
        return model_instance.set_body(models.TextField.clean(self, value, model_instance))


class SanitizedBody:
    """The one way a model with a BodyField sanitises it (articles/richtext.py)."""

    #: The body as last sanitised: one save sanitises it once.
    _sanitized_body = None

    def set_body(self, markup):
        """Sanitise `markup` as the body and return it; the save that follows keeps it as
        it is rather than sanitising it again. Raises BodyTooDeep before any parsing."""
        if markup != self._sanitized_body:
            self._sanitized_body = sanitize_body(markup)
        self.body = self._sanitized_body
        return self.body


class TaggedArticle(TaggedItemBase):
    """Tags through a real foreign key, so tag pages join on an index."""

    content_object = models.ForeignKey("Article", on_delete=models.CASCADE)

    class Meta:
        indexes = [models.Index(fields=["tag", "content_object"])]


# What a card (a story in a list) shows: the fields lists read.
LIST_FIELDS = (
    "id",
    "headline",
    "slug",
    "standfirst",
    "published_at",
    "created_at",
    "section__name",
    "section__slug",
    "section__position",
    "lead_image__file",
    "lead_image__alt_text",
    "lead_image__width",
    "lead_image__height",
    "lead_image__renditions",
    # Image.from_db reads these; deferring them would cost a query per image.
    "lead_image__focal_x",
    "lead_image__focal_y",
    "word_count",
)


class ArticleQuerySet(models.QuerySet):
    def cards(self, bylines=True):
        """Articles as lists show them: section, lead image and (unless the cards are
        compact) bylines, in two queries."""
        cards = self.select_related("section", "lead_image").only(*LIST_FIELDS)
        if not bylines:
            return cards
        names = Byline.objects.select_related("author").only(
            "article_id", "position", "author__name", "author__slug"
        )
        return cards.prefetch_related(models.Prefetch("bylines", queryset=names))

    def live(self, now=None):
        """The one visibility rule: published, the publication time has come and the
        expiry time (if any) has not (at `now`, by default the time now)."""
        now = now or timezone.now()
        return self.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            status=Article.Status.PUBLISHED,
            published_at__lte=now,
        )

    def scheduled(self):
        return self.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())

    def budget(self, start, end):
        """The desk's plan from `start` to `end`: the stories due then, those published
        or scheduled then with no due time, and those overdue and not yet out."""
        open_ = [Article.Status.DRAFT, Article.Status.REVIEW]
        return self.filter(
            Q(due_at__gte=start, due_at__lt=end)
            | Q(
                due_at__isnull=True,
                status=Article.Status.PUBLISHED,
                published_at__gte=start,
                published_at__lt=end,
            )
            | Q(due_at__lt=start, status__in=open_)
        )

    def expired(self):
        return self.filter(status=Article.Status.PUBLISHED, expires_at__lte=timezone.now())

    def next_visibility_change(self):
        """When, by the clock alone, an article next appears on or leaves the site (the
        soonest scheduled publication or expiry), or None. Caches keep nothing past that
        moment."""
        arrives = (
            self.scheduled().order_by("published_at").values_list("published_at", flat=True).first()
        )
        leaves = (
            self.filter(status=Article.Status.PUBLISHED, expires_at__gt=timezone.now())
            .order_by("expires_at")
            .values_list("expires_at", flat=True)
            .first()
        )
        return min(filter(None, [arrives, leaves]), default=None)


class Article(SanitizedBody, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Kind(models.TextChoices):
        STORY = "story", "Story"
        LIVE = "live", "Live coverage"

    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.STORY,
        help_text="Live coverage also shows its updates, newest first, to readers who keep "
        "the page open.",
    )
    headline = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=300, unique=True, help_text="The last part of the article's address."
    )
    standfirst = models.TextField(
        blank=True, help_text="The summary under the headline; also used in lists and feeds."
    )
    body = BodyField(config=BODY_CONFIG, sanitize=sanitize_body, blank=True)
    body_html = models.TextField(
        blank=True, editable=False, help_text="What readers get: the body rendered when saved."
    )
    body_media = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Made with body_html: the body's pictures (for structured data) and the "
        "origins its embeds' frames load from (for the page's Content-Security-Policy).",
    )
    body_images = models.ManyToManyField(
        Image, through=BodyImage, related_name="body_articles", blank=True, editable=False
    )
    body_embeds = models.ManyToManyField(Embed, related_name="articles", blank=True, editable=False)
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles", null=True, blank=True
    )
    authors = models.ManyToManyField(Author, through="Byline", related_name="articles", blank=True)
    tags = TaggableManager(through=TaggedArticle, blank=True)
    series = models.ForeignKey(
        "articles.Series",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        help_text="A run of stories readers can follow from part to part.",
    )
    series_position = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Its part number in the series (1 first). Leave empty to order by date.",
    )
    # PROTECT: a picture in use is not deleted from under a story (Image.used_by()).
    lead_image = models.ForeignKey(
        Image, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
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
    expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the article leaves the site by itself (readers then get “410 "
        "Gone”). Leave empty to keep it.",
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
    coverage_ends_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Live coverage: when it ended (or ends). Leave empty while it goes on.",
    )
    featured = models.BooleanField(default=False, help_text="Lead the home page with this story.")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        help_text="Who has the story now; it shows on their dashboard and the budget.",
    )
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the story is due on the desk (the budget's day)."
    )
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
    related_ids = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="Related stories, ranked when the article is saved (articles/related.py).",
    )
    structured_data = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="schema.org JSON-LD, made when the article is saved (articles/derived.py).",
    )
    page_html = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The finished markup of the page's head and story, made once per change "
        "(articles/derived.py); empty when something it shows has changed since.",
    )
    page_html_generation = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised whenever something the page's markup shows changes: markup made "
        "from an older generation is never kept.",
    )
    thread_html = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The first page of the comment thread, finished, made once per change "
        "(comments/thread.py).",
    )
    thread_html_generation = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised whenever the approved thread changes: a list made from an older "
        "generation is never kept.",
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Raised on every save; guards against lost edits."
    )
    share_generation = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Preview links carry it; raising it revokes every link made so far.",
    )
    wp_id = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, editable=False, help_text="WordPress post ID."
    )

    objects = ArticleQuerySet.as_manager()

    # Derived data made by others when what it shows changes (articles/derived.py,
    # articles/related.py, comments/thread.py), which Article.save() never writes.
    KEPT_ELSEWHERE = frozenset(
        {"related_ids", "structured_data", "thread_html", "thread_html_generation"}
    )

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
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True)
                | Q(published_at__isnull=True)
                | Q(expires_at__gt=F("published_at")),
                name="article_expires_after_publication",
                violation_error_message="The article must leave the site after it goes live: "
                "set “Expires at” later than “Published at”.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["story", "live"]), name="article_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(series_position__isnull=True) | Q(series__isnull=False),
                name="article_series_position_needs_series",
                violation_error_message="A part number needs a series.",
            ),
            models.UniqueConstraint(
                fields=["series", "series_position"],
                condition=Q(series__isnull=False, series_position__isnull=False),
                name="article_series_position_unique",
                violation_error_message="Another story already has that part number in "
                "this series.",
            ),
        ]
        indexes = [
            # The reader's lists in their order, with the id: a deep page skips its
            # offset in the index alone (index-only scan; see ArticleListView). The expiry
            # is in it too, as live() reads it.
            models.Index(
                fields=["status", "-published_at", "-id", "expires_at"],
                name="article_status_pub_id",
            ),
            models.Index(
                fields=["section", "status", "-published_at", "-id", "expires_at"],
                name="article_section_pub_id",
            ),
            models.Index(fields=["-updated_at"], name="article_updated"),
            # The desk's date drill-down and "Published" sorting over every status.
            models.Index(fields=["-published_at"], name="article_published"),
            # The budget: the stories due in the coming days.
            models.Index(fields=["due_at"], name="article_due"),
            # next_visibility_change(): the soonest expiry to come.
            models.Index(
                fields=["expires_at"],
                condition=Q(status="published", expires_at__isnull=False),
                name="article_expires",
            ),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.headline)[:300] or "article"
        self.set_body(self.body)
        self.word_count = word_count(self.body)
        rendered = self.render_body()
        self.updated_at = timezone.now()
        bump = self.pk is not None and not self._state.adding
        before = None
        # What the page's finished markup showed may have changed (articles/derived.py).
        self.page_html = None
        if bump:
            self.version = F("version") + 1
            self.page_html_generation = F("page_html_generation") + 1
            if not kwargs.get("update_fields") and not kwargs.get("force_insert"):
                # What others keep up to date is never written back from this instance,
                # which may have been read before they changed it.
                kwargs["update_fields"] = [
                    field.name
                    for field in self._meta.concrete_fields
                    if not field.primary_key and field.name not in self.KEPT_ELSEWHERE
                ]
            before = (
                type(self)
                .objects.filter(pk=self.pk)
                .values("slug", "status", "published_at", "created_at")
                .first()
            )
        super().save(*args, **kwargs)
        rendered.record(self)
        if bump:
            self.version, self.page_html_generation = (
                type(self).objects.values_list("version", "page_html_generation").get(pk=self.pk)
            )
        if before:
            self._keep_old_address(before)

    def get_absolute_url(self):
        return self._path_for(self.slug, self.published_at or self.created_at)

    @staticmethod
    def _path_for(slug, when):
        when = timezone.localtime(when)
        return address(
            "articles:detail",
            year=f"{when.year:04d}",
            month=f"{when.month:02d}",
            day=f"{when.day:02d}",
            slug=slug,
        )

    def revoke_share_links(self):
        """Every preview link made for this story so far stops working."""
        type(self).objects.filter(pk=self.pk).update(share_generation=F("share_generation") + 1)
        self.share_generation = (
            type(self).objects.values_list("share_generation", flat=True).get(pk=self.pk)
        )

    def render_body(self):
        """Make `body_html` and `body_media` from the stored body (derived data, made when
        saved; articles/body.py). Returns the rendering, whose `record(article)` keeps
        which images and embeds the body uses once the article has its row."""
        from ..body import render_body

        rendered = render_body(self.body, has_lead_image=self.lead_image_id is not None)
        self.body_html = rendered.html
        self.body_media = rendered.media
        return rendered

    def _keep_old_address(self, before):
        """A live article whose slug or date changed keeps answering at its old address."""
        was_live = (
            before["status"] == self.Status.PUBLISHED
            and before["published_at"] is not None
            and before["published_at"] <= timezone.now()
        )
        if not was_live:
            return
        old_path = self._path_for(before["slug"], before["published_at"])
        new_path = self.get_absolute_url()
        if old_path != new_path:
            SlugRedirect.objects.update_or_create(old_path=old_path, defaults={"article": self})
            SlugRedirect.objects.filter(old_path=new_path).delete()

    @transaction.atomic
    def _move(self, action, by, **changes):
        """Take a step of the workflow: refused as its one table says (articles/workflow.py),
        from the status stored (a form may have changed the time in memory); else saved
        with `changes`, and kept as an event."""
        from ..workflow import check

        stored = self
        if self.pk is not None:
            stored = Article(
                **type(self).objects.values("status", "published_at", "expires_at").get(pk=self.pk)
            )
        before = stored.desk_status
        check(by, self, action, status=before[0])
        for name, value in changes.items():
            setattr(self, name, value)
        self.save()
        self.events.create(actor=by, action=action, detail=f"{before[1]} → {self.desk_status[1]}")

    def submit(self, *, by):
        """A draft goes to the editors for review."""
        self._move("submit", by, status=self.Status.REVIEW)

    def publish(self, *, by):
        """Make the article live now. An article already dated in the past keeps its
        date, and so its address."""
        now = timezone.now()
        when = self.published_at if self.published_at and self.published_at <= now else now
        self._move("publish", by, status=self.Status.PUBLISHED, published_at=when)

    def schedule(self, at, *, by):
        """Publish at a future time (an embargo): it goes live by itself then."""
        if at is None or at <= timezone.now():
            raise ValidationError(
                "To schedule, set “Published at” to a time in the future. "
                "To publish straight away, use “Publish now”."
            )
        self._move("schedule", by, status=self.Status.PUBLISHED, published_at=at)

    def withdraw(self, *, by):
        """Take a published article down; readers get 410 Gone from then on."""
        self._move("withdraw", by, status=self.Status.WITHDRAWN)

    def return_to_draft(self, *, by):
        """Send an article in review back to its writer, or take a scheduled one off the
        schedule, without it ever being seen."""
        future = self.published_at and self.published_at > timezone.now()
        self._move(
            "return_to_draft",
            by,
            status=self.Status.DRAFT,
            published_at=None if future else self.published_at,
        )

    def missing_for_publication(self):
        """The publication checklist's gaps (articles/workflow.py), as stored."""
        from ..workflow import missing_for_publication

        return missing_for_publication(
            section=self.section,
            standfirst=self.standfirst,
            lead_image=self.lead_image,
            bylines=len(self.bylines.all()),
        )

    @property
    def desk_status(self):
        """(key, label) as the newsroom says it: Draft, In review, Scheduled, Live,
        Expired, Withdrawn."""
        if self.is_live:
            return "live", "Live"
        if self.is_scheduled:
            return "scheduled", "Scheduled"
        if self.is_expired:
            return "expired", "Expired"
        return self.status, self.get_status_display()

    @property
    def is_live(self):
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
            and (self.expires_at is None or self.expires_at > now)
        )

    @property
    def is_expired(self):
        """Published, and its expiry time has passed: it has left the site by itself."""
        return (
            self.status == self.Status.PUBLISHED
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )

    @property
    def is_live_coverage(self):
        return self.kind == self.Kind.LIVE

    @property
    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @property
    def comments_close_time(self):
        """When comments close by the clock: `comments_close_at`, or
        COMMENTS_CLOSE_AFTER_DAYS after publication, whichever comes first; None if never."""
        times = [self.comments_close_at] if self.comments_close_at else []
        days = settings.COMMENTS_CLOSE_AFTER_DAYS
        if days and self.published_at:
            times.append(self.published_at + datetime.timedelta(days=days))
        return min(times, default=None)

    @property
    def comments_closed_reason(self):
        """Why readers cannot comment now, or None when they can: the one rule the
        form, the posting view and the thread all read."""
        now = timezone.now()
        if not self.is_live:
            return "This article is not published, so it cannot take comments."
        if not self.comments_enabled:
            return "Comments are turned off for this article."
        if self.comments_close_at and self.comments_close_at <= now:
            return "Comments on this article are closed."
        closes = self.comments_close_time
        if closes and closes <= now:
            days = settings.COMMENTS_CLOSE_AFTER_DAYS
            return f"Comments close {days} days after publication; this article is older."
        return None

    @cached_property
    def byline_authors(self):
        """Authors in byline order (uses a prefetched `bylines` when there is one)."""
        return [byline.author for byline in self.bylines.all()]

    @property
    def reading_minutes(self):
        from ..richtext import WORDS_PER_MINUTE

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


def tags_in_use():
    """The tags readers can see: those at least one live story carries."""
    from taggit.models import Tag

    tagged = TaggedArticle.objects.filter(
        tag=models.OuterRef("pk"), content_object__in=Article.objects.live()
    )
    return Tag.objects.filter(models.Exists(tagged))


class CorrectionQuerySet(models.QuerySet):
    def public(self):
        """Corrections readers may see (on live articles), newest first, with what a
        list or feed shows of their article."""
        return (
            self.filter(article__in=Article.objects.live())
            .select_related("article", "article__section")
            .only(
                "kind",
                "text",
                "created_at",
                "article__headline",
                "article__slug",
                "article__published_at",
                "article__created_at",
                "article__section__name",
                "article__section__slug",
            )
            .order_by("-created_at", "-id")
        )


class Correction(models.Model):
    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        CLARIFICATION = "clarification", "Clarification"
        UPDATE = "update", "Update"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(help_text="What was wrong and what is right; shown to readers.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = CorrectionQuerySet.as_manager()

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


class SlugRedirect(models.Model):
    old_path = models.CharField(max_length=500, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="redirects")

    class Meta:
        ordering = ["old_path"]

    def __str__(self):
        return f"{self.old_path} → {self.article}"
