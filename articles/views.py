"""The reader's site: every page starts from `Article.objects.live()`.

Each page runs a fixed, small number of queries whatever the number of articles,
authors, tags or comments (tests/articles/test_query_counts.py): lists load
bylines with one prefetch, and fields are limited to what the templates show.
Anonymous responses go through the shared page cache (`newsroom.caching`).
"""

import datetime

from django.db import connection
from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import ListView
from taggit.models import Tag

from newsroom.caching import public_page

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
RELATED_STORIES = 4
RELATED_WINDOW = datetime.timedelta(days=180)


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


def article_context(article, request):
    """Everything `articles/article_detail.html` needs for `article`.

    Used by the public detail view and by the editors' preview (contract 2), so a
    preview shows exactly what readers will see. Runs a fixed number of queries.
    """
    from django.db.models import prefetch_related_objects

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
    tags = sorted(article.tags.all(), key=lambda tag: tag.name.lower())
    return {
        "article": article,
        "authors": article.byline_authors,
        "tags": tags,
        "corrections": list(article.corrections.all()),
        "related": related_articles(article),
        "updated_at": seo.material_update(article),
        "seo": seo.article_meta(article, tags=tags),
        "json_ld": seo.news_article(article, tags=tags),
    }


def related_articles(article, limit=RELATED_STORIES):
    """Live stories near the article in time that share its tags (most shared first), then
    others from its section; one query however many tags it has."""
    when = article.published_at or timezone.now()
    shared_tags = TaggedArticle.objects.filter(content_object_id=article.pk).values("tag_id")
    return list(
        Article.objects.live()
        .exclude(pk=article.pk)
        .filter(published_at__gte=when - RELATED_WINDOW, published_at__lte=when + RELATED_WINDOW)
        .filter(Q(taggedarticle__tag_id__in=shared_tags) | Q(section_id=article.section_id))
        .annotate(shared=Count("taggedarticle", filter=Q(taggedarticle__tag_id__in=shared_tags)))
        .select_related("section", "lead_image")
        .only(*LIST_FIELDS)
        .order_by("-shared", "-published_at", "-id")[:limit]
    )


@method_decorator(public_page, name="dispatch")
class ArticleListView(ListView):
    """The one small mixin behind every reader list: paginated, live, cached."""

    paginate_by = 20


class HomeView(ArticleListView):
    template_name = "articles/home.html"

    def get_queryset(self):
        return live_cards()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["page_obj"].number == 1:
            context.update(front_page())
        return context


def front_page():
    """The lead story (the newest featured one, else the newest) and the latest stories of
    each section: three queries however many sections there are."""
    lead = live_cards().order_by("-featured", "-published_at", "-id").first()
    ranked = (
        Article.objects.live()
        .exclude(pk=getattr(lead, "pk", None))
        .annotate(
            row=Window(
                RowNumber(),
                partition_by=F("section_id"),
                order_by=(F("published_at").desc(), F("id").desc()),
            )
        )
        .filter(row__lte=SECTION_STORIES)
    )
    stories = list(article_cards(ranked).order_by("section__position", "section__name", "row"))
    by_section = []
    for story in stories:
        if story.section_id is None:
            continue
        if not by_section or by_section[-1][0].pk != story.section_id:
            by_section.append((story.section, []))
        by_section[-1][1].append(story)
    return {"lead": lead, "sections_front": by_section, "website_json_ld": seo.website()}


class SectionView(ArticleListView):
    template_name = "articles/section.html"

    def get_queryset(self):
        self.section = get_object_or_404(Section, slug=self.kwargs["slug"])
        return live_cards().filter(section=self.section)

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class TagView(ArticleListView):
    template_name = "articles/tag.html"

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return live_cards().filter(taggedarticle__tag=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorView(ArticleListView):
    template_name = "articles/author.html"

    def get_queryset(self):
        self.author = get_object_or_404(Author, slug=self.kwargs["slug"])
        return live_cards().filter(bylines__author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class SearchView(ArticleListView):
    template_name = "articles/search.html"
    paginate_by = 10

    def get_queryset(self):
        self.query = SearchQuery(self.request.GET.get("q", ""))
        results = article_cards(search(self.query))
        if connection.vendor != "postgresql":
            # The fallback cuts its snippets from the body, in Python.
            results = results.only(*LIST_FIELDS, "body")
        return results

    def get_context_data(self, **kwargs):
        context = super().get_context_data(query=self.query, **kwargs)
        for article in context["object_list"]:
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
        return (
            Correction.objects.filter(article__in=Article.objects.live())
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


@public_page
def article_detail(request, year, month, day, slug):
    try:
        date = datetime.date(year, month, day)
    except ValueError as exc:
        raise Http404("No such date.") from exc
    article = (
        Article.objects.live().select_related("section", "lead_image").filter(slug=slug).first()
    )
    if article is None:
        # Old addresses are answered by SlugRedirectFallbackMiddleware.
        if Article.objects.filter(slug=slug, status=Article.Status.WITHDRAWN).exists():
            return render(request, "410.html", {"article_slug": slug}, status=410)
        raise Http404("No article at this address.")
    if timezone.localtime(article.published_at).date() != date:
        raise Http404("No article at this address.")
    return render(request, "articles/article_detail.html", article_context(article, request))
