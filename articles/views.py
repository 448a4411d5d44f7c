"""The reader's site: every page starts from `Article.objects.live()`.

Each page runs a fixed, small number of queries whatever the number of articles,
authors, tags or comments (tests/articles/test_query_counts.py): lists load
bylines with one prefetch, and fields are limited to what the templates show.
Anonymous responses go through the shared page cache (`newsroom.caching`).
"""

import datetime
import functools
from collections.abc import Sequence

from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import ListView
from taggit.models import Tag

from comments.models import closing_time
from comments.templatetags.comment_tags import page_number as comments_page
from newsroom.caching import cached_fragment, public_page

from . import seo
from .models import Article, Author, Byline, Correction, Section, TaggedArticle
from .search import SearchQuery, search, snippet_for

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
SECTION_STORIES = 4
LEAD_CANDIDATES = 30
RELATED_STORIES = 4
RELATED_WINDOW = datetime.timedelta(days=180)
SECTION_RELATED_WINDOW = datetime.timedelta(days=30)
# New stories join an older article's related list within this time.
RELATED_CACHE_SECONDS = 3600


def bylines_prefetch():
    return Prefetch(
        "bylines",
        queryset=Byline.objects.select_related("author").only(
            "article_id", "position", "author__name", "author__slug"
        ),
    )


def article_cards(queryset):
    """Articles as lists show them: section, lead image and bylines, in two queries."""
    return (
        queryset.select_related("section", "lead_image")
        .only(*LIST_FIELDS)
        .prefetch_related(bylines_prefetch())
    )


def live_cards():
    return article_cards(Article.objects.live())


ARTICLE_PAGE_FIELDS = (
    "id",
    "slug",
    "status",
    "published_at",
    "version",
    "headline",
    "standfirst",
    "seo_title",
    "seo_description",
    "comments_close_at",
)


def article_context(article, request, whole=None):
    """Everything `articles/article_detail.html` needs for `article`.

    Used by the public detail view and by the editors' preview (contract 2), so a
    preview shows exactly what readers will see. Runs a fixed number of queries, and
    only for the values the template reads: each is a callable run once, on first
    use, so a page whose fragments come from the cache runs none of them. `article`
    may hold only ARTICLE_PAGE_FIELDS; `whole()` then reads all of it, for the
    fragments (`story` in the template).
    """
    from django.db.models import prefetch_related_objects

    story = functools.cache(whole) if whole else (lambda: article)

    @functools.cache
    def prefetched():
        article = story()
        prefetch_related_objects(
            [article],
            Prefetch(
                "bylines",
                queryset=Byline.objects.select_related("author").only(
                    "article_id",
                    "position",
                    "author__name",
                    "author__slug",
                    "author__job_title",
                    "author__photo",
                ),
            ),
            "tags",
            Prefetch("corrections", queryset=Correction.objects.order_by("created_at")),
        )
        return article

    @functools.cache
    def tags():
        return sorted(prefetched().tags.all(), key=lambda tag: tag.name.lower())

    return {
        "article": article,
        "story": story,
        "page_title": article.seo_title or article.headline,
        "page_description": seo.description(article),
        "comments_page": comments_page(request),
        # The thread is kept no longer than comments stay open (its form goes then).
        "comments_close": functools.cache(lambda: closing_time(article)),
        "authors": functools.cache(lambda: prefetched().byline_authors),
        "tags": tags,
        "corrections": functools.cache(lambda: list(prefetched().corrections.all())),
        "related": functools.cache(lambda: related_articles(story())),
        "updated_at": functools.cache(lambda: seo.material_update(prefetched())),
        "seo": functools.cache(lambda: seo.article_meta(prefetched(), tags=tags())),
        "json_ld": functools.cache(lambda: seo.news_article(prefetched(), tags=tags())),
    }


def related_articles(article, limit=RELATED_STORIES):
    """The related stories of `article`, ranked by `rank_related_articles()`.

    Ranking counts tag links over thousands of candidates on a large archive, so the
    ranked ids are kept in the shared cache per article id and version (an edit ranks
    afresh) for RELATED_CACHE_SECONDS; the stories themselves are read through
    `live()` each time, so a withdrawn one drops out at once. One query either way."""
    if article.pk is None:
        return rank_related_articles(article, limit)
    key = f"newsroom:related:{article.pk}:{article.version}:{limit}"
    ids = cache.get(key)
    if ids is None:
        stories = rank_related_articles(article, limit)
        cache.set(key, [story.pk for story in stories], RELATED_CACHE_SECONDS)
        return stories
    found = {
        story.pk: story
        for story in Article.objects.live()
        .filter(pk__in=ids)
        .select_related("section", "lead_image")
        .only(*LIST_FIELDS)
    }
    return [found[pk] for pk in ids if pk in found]


def rank_related_articles(article, limit=RELATED_STORIES):
    """Live stories near the article in time that share its tags (most shared first), then
    others from its section; one query however many tags it has. Candidates come from
    two index lookups (articles with those tags, the section's recent stories), and the
    shared tags are counted only for them."""
    when = article.published_at or timezone.now()
    shared_tags = TaggedArticle.objects.filter(content_object_id=article.pk).values("tag_id")
    tagged = TaggedArticle.objects.filter(tag_id__in=shared_tags).values("content_object_id")
    shared = (
        TaggedArticle.objects.filter(content_object_id=OuterRef("pk"), tag_id__in=shared_tags)
        .order_by()
        .values("content_object_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return list(
        Article.objects.live()
        .exclude(pk=article.pk)
        .filter(published_at__gte=when - RELATED_WINDOW, published_at__lte=when + RELATED_WINDOW)
        .filter(
            Q(pk__in=tagged)
            | Q(
                section_id=article.section_id,
                published_at__gte=when - SECTION_RELATED_WINDOW,
                published_at__lte=when + SECTION_RELATED_WINDOW,
            )
        )
        .annotate(shared=Coalesce(Subquery(shared), 0))
        .select_related("section", "lead_image")
        .only(*LIST_FIELDS)
        .order_by("-shared", "-published_at", "-id")[:limit]
    )


class ListPage(Sequence):
    """One page of a reader list, as templates use Django's Page (number, has_next,
    next_page_number, ...), without a total: counting the matches of a big section or
    tag read the whole archive on every list page. Pages link newer and older.

    The rows are read on first use, so a page whose list comes from the fragment
    cache reads none. `load()` returns the rows: one more than a page, to know
    whether an older page exists."""

    def __init__(self, load, number, per_page):
        self._load = load
        self.number = number
        self.per_page = per_page

    @functools.cached_property
    def _rows(self):
        rows = self._load()
        if self.number > 1 and not rows:
            raise Http404("There is no page with that number.")
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


@method_decorator(public_page, name="dispatch")
class ArticleListView(ListView):
    """The one small mixin behind every reader list: paginated, live, cached."""

    paginate_by = 20
    # Read deep pages as ids first (for lists in an indexed order; not search's ranking).
    deferred_join = True

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
            # Lists hand over a function that builds their queryset: building one
            # costs as much as a cache hit, so it waits until the rows are needed.
            rows = queryset() if callable(queryset) else queryset
            if not self.deferred_join or offset == 0:
                return list(rows[offset : offset + page_size + 1])
            # A deep page first finds its ids, skipping the offset in the index alone,
            # then reads only those rows: OFFSET on the whole query would read (and
            # join) every row it skips, 5,000 on page 250 of a big section.
            ids = list(
                rows.prefetch_related(None).values_list("pk", flat=True)[
                    offset : offset + page_size + 1
                ]
            )
            found = {row.pk: row for row in rows.filter(pk__in=ids)}
            return [found[pk] for pk in ids if pk in found]

        page = ListPage(load, number, page_size)
        # Templates call these; nothing is read until one of them is.
        return None, page, lambda: page.object_list, page.has_other_pages


class HomeView(ArticleListView):
    template_name = "articles/home.html"

    def get_queryset(self):
        return live_cards

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["page_obj"].number == 1:
            front = functools.cache(front_page)
            context["lead"] = lambda: front()["lead"]
            context["sections_front"] = lambda: front()["sections_front"]
            context["website_json_ld"] = seo.website
        return context


def front_page():
    """The lead story and the latest stories of each section, in four queries however many
    sections and articles there are. Every step reads an index and a few rows, so the front
    page stays cheap on an archive of millions."""
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
    stories = {
        story.pk: story
        for story in article_cards(Article.objects.filter(pk__in=ids)).order_by(
            "-published_at", "-id"
        )
    }
    lead = stories.pop(lead_pk, None)
    by_section = {}
    for story in stories.values():
        by_section.setdefault(story.section_id, (story.section, []))[1].append(story)
    ordered = sorted(by_section.values(), key=lambda item: (item[0].position, item[0].name))
    return {"lead": lead, "sections_front": ordered, "website_json_ld": seo.website()}


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


def kept_or_404(request, model, slug):
    """The section, tag or author a list page is about, kept with the page's fragments
    (any change to one calls content_changed(), see articles/apps.py)."""
    label = model._meta.label_lower
    found = cached_fragment(label, [slug], lambda: model.objects.filter(slug=slug).first(), request)
    if found is None:
        raise Http404(f"No {model._meta.verbose_name} at this address.")
    return found


class SectionView(ArticleListView):
    template_name = "articles/section.html"

    def get_queryset(self):
        self.section = kept_or_404(self.request, Section, self.kwargs["slug"])
        return lambda: live_cards().filter(section=self.section)

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class TagView(ArticleListView):
    template_name = "articles/tag.html"

    def get_queryset(self):
        self.tag = kept_or_404(self.request, Tag, self.kwargs["slug"])
        return lambda: live_cards().filter(taggedarticle__tag=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorView(ArticleListView):
    template_name = "articles/author.html"

    def get_queryset(self):
        self.author = kept_or_404(self.request, Author, self.kwargs["slug"])
        return lambda: live_cards().filter(bylines__author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class SearchView(ArticleListView):
    template_name = "articles/search.html"
    paginate_by = 10
    deferred_join = False

    def get_queryset(self):
        self.query = SearchQuery(self.request.GET.get("q", ""))
        results = article_cards(search(self.query))
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


class CorrectionsView(ArticleListView):
    template_name = "articles/corrections.html"
    paginate_by = 30

    def get_queryset(self):
        return Correction.objects.public()


def published_keys(slug):
    return (
        Article.objects.filter(slug=slug, status=Article.Status.PUBLISHED)
        .only(*ARTICLE_PAGE_FIELDS)
        .first()
    )


@public_page
def article_detail(request, year, month, day, slug):
    try:
        date = datetime.date(year, month, day)
    except ValueError as exc:
        raise Http404("No such date.") from exc
    # Only what the page needs outside its fragments (their keys, the title and the
    # date in the address), kept with them; whether it is live is decided now, by the
    # clock. The whole story is read only when a fragment is rendered.
    article = cached_fragment("article-keys", [slug], lambda: published_keys(slug), request)
    if article is None or not article.is_live:
        # Old addresses are answered by SlugRedirectFallbackMiddleware.
        if Article.objects.filter(slug=slug, status=Article.Status.WITHDRAWN).exists():
            return render(request, "410.html", {"article_slug": slug}, status=410)
        raise Http404("No article at this address.")
    if timezone.localtime(article.published_at).date() != date:
        raise Http404("No article at this address.")

    def whole():
        return Article.objects.select_related("section", "lead_image").get(pk=article.pk)

    return render(
        request, "articles/article_detail.html", article_context(article, request, whole=whole)
    )
