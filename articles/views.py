"""The reader's site: every page starts from `Article.objects.live()`.

Each page runs a fixed, small number of queries whatever the number of articles,
authors, tags or comments (tests/articles/test_query_counts.py): lists load
bylines with one prefetch, and fields are limited to what the templates show.
Anonymous responses go through the shared page cache (`newsroom.caching`).
"""

import copy
import datetime
from collections.abc import Sequence

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    F,
    OuterRef,
    Prefetch,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import ListView
from taggit.models import Tag

from comments import thread as comment_thread
from comments.templatetags.comment_tags import page_number as comments_page
from newsroom import invalidation
from newsroom.caching import PublicPageMixin, cached_fragment, depends_on, public_page
from newsroom.compiled import CompiledQuery

from . import derived, embeds, live, related, seo
from .models import (
    LIST_FIELDS,
    Article,
    Author,
    Byline,
    Correction,
    Section,
    Series,
    tags_in_use,
)
from .search import SearchQuery, search, snippet_for

SERIES_ORDER = (F("series_position").asc(nulls_last=True), "published_at", "id")
SECTION_STORIES = 4
LEAD_CANDIDATES = 30

# What an article page needs outside its fragments: kept with them (`article_detail`).
ARTICLE_PAGE_FIELDS = (
    "id",
    "slug",
    "kind",
    "status",
    "published_at",
    "expires_at",
    "version",
    "headline",
    "standfirst",
    "seo_title",
    "seo_description",
    "comments_enabled",
    "comments_close_at",
    "coverage_ends_at",
    "related_ids",
    # The page's Content-Security-Policy opens frame-src for the body's embeds.
    "body_media",
)
# What the page's fragments read of the story when its markup is kept (`page_html`,
# `thread_html`, `structured_data`): a story whose markup must be made is read whole.
STORY_PAGE_FIELDS = (
    *ARTICLE_PAGE_FIELDS,
    "created_at",
    "series",
    "page_html",
    "page_html_generation",
    "thread_html",
    "thread_html_generation",
    "structured_data",
)


class ArticlePage:
    """What `articles/article_detail.html` shows of one article.

    Used by the public detail view and by the editors' preview, so a preview shows
    exactly what readers will see. Each part is read on first use, in a fixed number
    of queries, so a page whose fragments are kept reads nothing. `article` may be what
    the article-keys fragment kept of it (ARTICLE_PAGE_FIELDS); the story is then read
    whole for the fragments, once one is made."""

    def __init__(self, article, request, preview=False):
        self.article = article
        self.request = request
        self.preview = preview

    @property
    def title(self):
        return self.article.seo_title or self.article.headline

    @property
    def description(self):
        return seo.description(self.article)

    @cached_property
    def story(self):
        """The story the fragments show: the article itself when it was read for them
        (`published_keys`, the preview, `derived`), else read whole now."""
        if "thread_html" in self.article.__dict__:
            return self.article
        return self._read_whole()

    def _read_whole(self):
        return Article.objects.select_related(*derived.DESCRIBED).get(pk=self.article.pk)

    @cached_property
    def parts(self):
        """The finished markup of the page's head and story: kept with the article
        when it was made for this version of it (`articles.derived`), made now and kept
        otherwise; a preview's is always made now and never kept."""
        if self.preview:
            return derived.render_page(self, preview=True)
        parts = derived.usable_page_html(self.story)
        if parts is None:
            story = self._whole()
            parts = story.page_html = derived.render_page(self)
            derived.keep_page_html(story, parts)
        return parts

    def _whole(self):
        """The story with every field and what it names (section, lead picture, series),
        for making what is not kept: read again if the page read only STORY_PAGE_FIELDS."""
        if self.story.get_deferred_fields():
            self.story = self._read_whole()
        return self.story

    @cached_property
    def _full(self):
        """The story with its bylines, tags and corrections, in three more queries."""
        story = self._whole()
        bylines = Byline.objects.select_related("author").only(
            "article_id",
            "position",
            "author__name",
            "author__slug",
            "author__job_title",
            "author__photo",
        )
        prefetch_related_objects(
            [story],
            Prefetch("bylines", queryset=bylines),
            "tags",
            Prefetch("corrections", queryset=Correction.objects.order_by("created_at")),
        )
        return story

    @cached_property
    def authors(self):
        return self._full.byline_authors

    @cached_property
    def tags(self):
        return sorted(self._full.tags.all(), key=lambda tag: tag.name.lower())

    @cached_property
    def corrections(self):
        return list(self._full.corrections.all())

    @cached_property
    def related(self):
        return related_stories(self.story, self.parts["links"])

    @cached_property
    def series_nav(self):
        return series_navigation(self.story)

    @cached_property
    def updated_at(self):
        return seo.material_update(self._full)

    @cached_property
    def seo(self):
        return seo.article_meta(self._full, tags=self.tags)

    @cached_property
    def json_ld(self):
        return derived.structured_data(
            self.story,
            lambda: seo.news_article(
                self._full, tags=self.tags, updates=derived.live_blog_updates(self.story)
            ),
        )

    @cached_property
    def live(self):
        """Live coverage's updates (articles/live.py), or None for a story."""
        if self.article.kind != Article.Kind.LIVE or self.article.pk is None:
            return None
        return live.LiveCoverage(self.article, self.request)

    @cached_property
    def comments_page(self):
        return comments_page(self.request)

    @property
    def comment_counts(self):
        """The thread's counts, when the page read them with the article (`published_keys`)."""
        total = getattr(self.article, "comment_total", None)
        if total is None:
            return None
        return {"total": total, "top": self.article.threads}

    @cached_property
    def comments_close(self):
        # The thread is kept no longer than comments stay open (its form goes then).
        return self.article.comments_close_time

    @property
    def story_keys(self):
        return [invalidation.article(self.article.pk)]

    @property
    def head_keys(self):
        """The head's JSON-LD lists a live article's latest updates."""
        keys = self.story_keys
        if self.article.kind == Article.Kind.LIVE:
            keys = [*keys, invalidation.updates(self.article.pk)]
        return keys

    @property
    def thread_keys(self):
        return [invalidation.article(self.article.pk), invalidation.comments(self.article.pk)]


def article_context(article, request, preview=False):
    page = ArticlePage(article, request, preview=preview)
    return {
        "article": article,
        "page": page,
        "page_title": page.title,
        "page_description": page.description,
    }


def related_stories(article, links):
    """What the article's "More on this story" shows: the links its editors chose
    (`links`, as `articles.derived.related_links` keeps them), in their order (a story
    of ours only while it is live), then the automatic related stories not already
    chosen, up to RELATED_STORIES in all (more when editors chose more). A story of
    ours comes as `{"card": <its finished card>}`, kept with its page markup: one query
    reads the cards of every live story among them (`derived.kept_cards`)."""
    targets = [link["target"] for link in links if "target" in link]
    ranked = related.related_ids(article) if article.pk else []
    ids = list(dict.fromkeys([*targets, *ranked]))
    found = {pk: {"card": card} for pk, card in derived.kept_cards(ids).items()} if ids else {}
    items = []
    for link in links:
        if "target" not in link:
            items.append(link)
        elif link["target"] in found:
            items.append(found[link["target"]])
    automatic = [pk for pk in ranked if pk in found and pk not in targets]
    automatic = automatic[: max(0, related.RELATED_STORIES - len(items))]
    # A chosen story that is not live (yet) appears when it goes live: its card key.
    depends_on(*(invalidation.card(pk) for pk in [*targets, *automatic]))
    return items + [found[pk] for pk in automatic]


def series_navigation(article):
    """Where the article stands in its series: the live parts in order (part number,
    then date), its place among them, and its neighbours; None outside a series."""
    if not article.series_id:
        return None
    depends_on(invalidation.series(article.series_id))
    parts = list(
        Article.objects.live()
        .filter(series_id=article.series_id)
        .order_by(*SERIES_ORDER)
        .select_related("series")
        .only(
            "id",
            "headline",
            "slug",
            "published_at",
            "created_at",
            "series_position",
            "series__title",
            "series__slug",
        )
    )
    index = next((i for i, part in enumerate(parts) if part.pk == article.pk), None)
    if index is None:
        return None
    return {
        "series": parts[index].series,
        "number": index + 1,
        "total": len(parts),
        "previous": parts[index - 1] if index > 0 else None,
        "next": parts[index + 1] if index + 1 < len(parts) else None,
    }


class ListPage(Sequence):
    """One page of a reader list, as templates use Django's Page (number, has_next,
    next_page_number, ...), without a total: counting the matches of a big section or
    tag read the whole archive on every list page. Pages link newer and older.

    The rows are read on first use, so a page whose list comes from the fragment
    cache reads none: one more than a page, to know whether an older page exists.
    Each story read is named as a card the page shows (`depends_on`)."""

    def __init__(self, load, number, per_page, keys=invalidation.cards):
        self._load = load
        self.number = number
        self.per_page = per_page
        self._keys = keys

    @cached_property
    def _rows(self):
        rows = self._load()
        if self.number > 1 and not rows:
            raise Http404("There is no page with that number.")
        depends_on(*self._keys(rows[: self.per_page]))
        return rows

    @property
    def object_list(self):
        return self._rows[: self.per_page]

    def __len__(self):
        return len(self.object_list)

    def __getitem__(self, index):
        if not isinstance(index, int | slice):
            # Templates try `page_obj["number"]` before the attribute: no rows for that.
            raise TypeError("ListPage indices are integers or slices.")
        return self.object_list[index]

    def has_next(self):
        return len(self._rows) > self.per_page

    def has_previous(self):
        return self.number > 1

    def has_other_pages(self):
        return self.has_next() or self.has_previous()

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1


# Deeper than any archive goes (a million pages of twenty); beyond it the offset
# would overflow the database's integer before it could say "no such page".
MAX_PAGE_NUMBER = 1_000_000


class ArticleListView(PublicPageMixin, ListView):
    """The one small mixin behind every reader list: paginated, live, kept whole."""

    paginate_by = 20
    page_params = ("page",)
    # Read deep pages as ids first (for lists in an indexed order; not search's ranking).
    deferred_join = True

    def list_keys(self):
        """What the list itself is, besides the stories it shows (invalidation's vocabulary)."""
        return [invalidation.FRONT]

    def row_keys(self, rows):
        return invalidation.cards(rows)

    def paginate_queryset(self, queryset, page_size):
        """Fetch one row more than the page shows to know whether an older page exists;
        no COUNT. Any page number is reachable; one past the end is a 404."""
        raw = self.kwargs.get(self.page_kwarg) or self.request.GET.get(self.page_kwarg) or 1
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise Http404("That is not a page number.") from None
        if not 1 <= number <= MAX_PAGE_NUMBER:
            raise Http404("That is not a page number.")
        offset = (number - 1) * page_size

        def load():
            if not self.deferred_join or offset == 0:
                return list(queryset[offset : offset + page_size + 1])
            # A deep page first finds its ids, skipping the offset in the index alone,
            # then reads only those rows: OFFSET on the whole query would read (and
            # join) every row it skips, 5,000 on page 250 of a big section.
            ids = list(
                queryset.prefetch_related(None).values_list("pk", flat=True)[
                    offset : offset + page_size + 1
                ]
            )
            found = {row.pk: row for row in queryset.filter(pk__in=ids)}
            return [found[pk] for pk in ids if pk in found]

        page = ListPage(load, number, page_size, keys=self.row_keys)
        # Templates call these; nothing is read until one of them is.
        return None, page, lambda: page.object_list, page.has_other_pages

    def get_context_data(self, **kwargs):
        keys = self.list_keys()
        depends_on(*keys)
        return super().get_context_data(list_keys=keys, page_params=self.page_params, **kwargs)


class HomeView(ArticleListView):
    template_name = "articles/home.html"

    def get_queryset(self):
        return Article.objects.live().cards()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["page_obj"].number == 1:
            context["front"] = FrontPage()
        return context


class FrontPage:
    """The lead story and the latest stories of each section, in four queries however
    many sections and articles there are, read on first use. Every step reads an index
    and a few rows, so the front page stays cheap on an archive of millions."""

    @cached_property
    def _stories(self):
        candidates = list(
            Article.objects.live()
            .order_by("-published_at", "-id")
            .values_list("pk", "featured")[:LEAD_CANDIDATES]
        )
        # The lead: the newest featured story among the latest, else the newest story.
        lead_pk = next((pk for pk, featured in candidates if featured), None)
        if lead_pk is None and candidates:
            lead_pk = candidates[0][0]
        ids = [lead_pk, *section_story_ids(exclude=lead_pk)] if lead_pk else []
        stories = list(Article.objects.filter(pk__in=ids).cards().order_by("-published_at", "-id"))
        depends_on(*invalidation.cards(stories))
        return lead_pk, stories

    @cached_property
    def lead(self):
        lead_pk, stories = self._stories
        return next((story for story in stories if story.pk == lead_pk), None)

    @cached_property
    def sections(self):
        lead_pk, stories = self._stories
        by_section = {}
        for story in stories:
            if story.pk != lead_pk:
                by_section.setdefault(story.section_id, (story.section, []))[1].append(story)
        return sorted(by_section.values(), key=lambda item: (item[0].position, item[0].name))

    @cached_property
    def json_ld(self):
        return seo.website()


def section_story_ids(exclude):
    """Ids of the newest SECTION_STORIES live stories of every section, in one query."""
    live = Article.objects.live().exclude(pk=exclude)
    if connection.vendor == "postgresql":
        # One index-backed LIMIT subquery per section instead of ranking the archive.
        newest = live.filter(section=OuterRef("pk")).order_by("-published_at", "-id")
        rows = Section.objects.annotate(
            top=ArraySubquery(newest.values("pk")[:SECTION_STORIES])
        ).values_list("top", flat=True)
        return [pk for top in rows for pk in top]
    ranked = (
        live.filter(section__isnull=False)
        .annotate(
            row=Window(
                RowNumber(),
                partition_by=F("section_id"),
                order_by=(F("published_at").desc(), F("id").desc()),
            )
        )
        .filter(row__lte=SECTION_STORIES)
    )
    return list(ranked.values_list("pk", flat=True))


class SubjectListView(ArticleListView):
    """A list about one section, tag or author (`model`), found by its slug and kept with
    the page's fragments; a change to it ends them (newsroom.invalidation)."""

    model = None
    key = None  # invalidation's key function for the subject
    subject_name = None  # the template's name for it

    @cached_property
    def subject(self):
        slug = self.kwargs["slug"]
        found = cached_fragment(
            self.model._meta.label_lower,
            [slug],
            lambda: self.find(slug),
            self.request,
            keep=lambda subject: subject is not None,
        )
        if found is None:
            raise Http404(f"No {self.model._meta.verbose_name} at this address.")
        return found

    def find(self, slug):
        subject = self.model.objects.filter(slug=slug).first()
        if subject is not None:
            depends_on(self.key(subject.pk))
        return subject

    def list_keys(self):
        return [self.key(self.subject.pk)]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**{self.subject_name: self.subject}, **kwargs)


class SectionView(SubjectListView):
    template_name = "articles/section.html"
    model = Section
    key = staticmethod(invalidation.section)
    subject_name = "section"

    def get_queryset(self):
        return Article.objects.live().cards().filter(section=self.subject)


class TagView(SubjectListView):
    template_name = "articles/tag.html"
    model = Tag
    key = staticmethod(invalidation.tag)
    subject_name = "tag"

    def find(self, slug):
        # A tag only drafts use has no page until a live story uses it.
        subject = tags_in_use().filter(slug=slug).first()
        if subject is not None:
            depends_on(self.key(subject.pk))
        return subject

    def get_queryset(self):
        return Article.objects.live().cards().filter(taggedarticle__tag=self.subject)


class AuthorView(SubjectListView):
    template_name = "articles/author.html"
    model = Author
    key = staticmethod(invalidation.author)
    subject_name = "author"

    def get_queryset(self):
        return Article.objects.live().cards().filter(bylines__author=self.subject)


class SearchView(ArticleListView):
    template_name = "articles/search.html"
    paginate_by = 10
    page_params = ("q", "page")
    deferred_join = False

    def get_queryset(self):
        self.query = SearchQuery(self.request.GET.get("q", ""))
        results = search(self.query).cards()
        if connection.vendor != "postgresql":
            # The fallback cuts its snippets from the body, in Python.
            results = results.only(*LIST_FIELDS, "body")
        return results

    def get_context_data(self, **kwargs):
        context = super().get_context_data(query=self.query, **kwargs)
        for article in context["page_obj"].object_list:
            if getattr(article, "snippet", None) is None:
                article.snippet = snippet_for(article, self.query)
        return context

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response


class SeriesView(SubjectListView):
    """A series: its parts in order, first part first."""

    template_name = "articles/series.html"
    model = Series
    key = staticmethod(invalidation.series)
    subject_name = "series"
    deferred_join = False

    def get_queryset(self):
        return Article.objects.live().cards().filter(series=self.subject).order_by(*SERIES_ORDER)


class CorrectionsView(ArticleListView):
    template_name = "articles/corrections.html"
    paginate_by = 30

    def get_queryset(self):
        return Correction.objects.public()

    def row_keys(self, rows):
        return [invalidation.card(correction.article_id) for correction in rows]


# What the article-keys fragment keeps of the story `published_keys` read: the page's
# fields outside its fragments and the thread's counts.
KEPT_KEYS = frozenset({*ARTICLE_PAGE_FIELDS, "threads", "comment_total"})


# Run on every full render of an article page: compiled once (newsroom/compiled.py).
_STORY = CompiledQuery(
    lambda slug: Article.objects.filter(slug=slug, status=Article.Status.PUBLISHED).only(
        *STORY_PAGE_FIELDS
    )[:1]
)


def published_keys(slug):
    """The published article at `slug`, with what its fragments read (STORY_PAGE_FIELDS),
    and how many pages its comment thread has (a comment page past the last is a 404,
    never a kept page): one query, the counts coming with the thread's kept first page
    (comments/thread.py; counted in one more query while it is being made again). What
    is kept of it is smaller (`page_keys`)."""
    found = _STORY.objects(slug)
    article = found[0] if found else None
    if article is not None:
        counts = comment_thread.counts(article)
        article.comment_total, article.threads = counts["total"], counts["top"]
        depends_on(invalidation.article(article.pk), invalidation.comments(article.pk))
        if article.kind == Article.Kind.LIVE:
            # The page's frame-src opens for the updates' embeds too.
            depends_on(invalidation.updates(article.pk))
            frames = sorted({*article.body_media.get("frames", ()), *live.frames(article.pk)})
            if frames:
                article.body_media = {**article.body_media, "frames": frames}
    return article


def page_keys(article):
    """What is kept of `published_keys`'s article: only KEPT_KEYS (the story itself is
    read again only when a fragment is made). A copy: the request that read it keeps the
    whole story."""
    if article is None:
        return None
    kept = copy.copy(article)
    for name in [name for name in kept.__dict__ if name != "_state" and name not in KEPT_KEYS]:
        del kept.__dict__[name]
    kept._state.fields_cache = {}
    return kept


def _published(request, slug):
    """The article at `slug` and what the page needs outside its fragments (their keys,
    the title and the date in the address), kept with them (`page_keys`); whether it is
    live is decided by the caller, now, by the clock. When it was read now it is whole;
    when it was kept, the whole story is read only if a fragment is made."""
    return cached_fragment(
        "article-keys",
        [slug],
        lambda: published_keys(slug),
        request,
        keep=lambda found: found is not None,
        store=page_keys,
    )


def _at_its_date(article, year, month, day):
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        return False
    return timezone.localtime(article.published_at).date() == date


def live_article(request, year, month, day, slug):
    """The live coverage readers can see at this address (what `_published` keeps of
    it), or 404."""
    article = _published(request, slug)
    if (
        article is None
        or not article.is_live
        or article.kind != Article.Kind.LIVE
        or not _at_its_date(article, year, month, day)
    ):
        raise Http404("No live coverage at this address.")
    return article


@public_page(params=("comments", "updates"))
def article_detail(request, year, month, day, slug):
    try:
        date = datetime.date(year, month, day)
    except ValueError as exc:
        raise Http404("No such date.") from exc
    article = _published(request, slug)
    if article is not None and article.is_expired:
        return render(request, "410.html", {"article_slug": slug}, status=410)
    if article is None or not article.is_live:
        # Old addresses are answered by SlugRedirectFallbackMiddleware.
        withdrawn = Article.objects.filter(slug=slug, status=Article.Status.WITHDRAWN)
        pk = withdrawn.values_list("pk", flat=True).first()
        if pk is not None:
            depends_on(invalidation.article(pk))
            return render(request, "410.html", {"article_slug": slug}, status=410)
        raise Http404("No article at this address.")
    if timezone.localtime(article.published_at).date() != date:
        raise Http404("No article at this address.")
    pages = max(1, -(-article.threads // settings.COMMENTS_PER_PAGE))
    if comments_page(request) > pages:
        raise Http404("There is no page of comments with that number.")
    response = render(request, "articles/article_detail.html", article_context(article, request))
    return embeds.allow_frames(response, article.body_media.get("frames"))
