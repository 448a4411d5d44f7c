"""Sitemaps (Django's sitemaps framework), from `Article.objects.live()` only.

`/sitemap.xml` is an index over articles, sections, tags and authors;
`/news-sitemap.xml` is the Google News sitemap: the live articles of the last
NEWS_SITEMAP_DAYS days, with publication name and language, date and title.
"""

import datetime

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Exists, Max, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from newsroom import invalidation
from newsroom.caching import depends_on, public_page

from . import seo
from .models import Article, Author, Byline, Section, tags_in_use

ARTICLE_FIELDS = ("id", "slug", "published_at", "created_at", "updated_at")


class ArticleSitemap(Sitemap):
    limit = 2000
    changefreq = "daily"

    def items(self):
        return Article.objects.live().only(*ARTICLE_FIELDS).order_by("-published_at", "-id")

    def lastmod(self, item):
        return max(item.published_at, item.updated_at)

    def get_latest_lastmod(self):
        # Django's default calls lastmod() on every item; one aggregate does it.
        latest = Article.objects.live().aggregate(
            updated=Max("updated_at"), published=Max("published_at")
        )
        return max(filter(None, latest.values()), default=None)


class SectionSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.8

    def items(self):
        newest = (
            Article.objects.live()
            .filter(section=OuterRef("pk"))
            .order_by("-published_at")
            .values("published_at")[:1]
        )
        return Section.objects.annotate(latest=Subquery(newest)).order_by("position", "name")

    def lastmod(self, item):
        return item.latest


class TagSitemap(Sitemap):
    limit = 5000
    changefreq = "daily"
    priority = 0.4

    def items(self):
        return tags_in_use().only("slug").order_by("slug")

    def location(self, item):
        return reverse("articles:tag", kwargs={"slug": item.slug})


class AuthorSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.5

    def items(self):
        bylines = Byline.objects.filter(author=OuterRef("pk"), article__in=Article.objects.live())
        return Author.objects.filter(Exists(bylines)).only("slug").order_by("slug")


class NewsSitemap(Sitemap):
    """Google News: only recent articles (at most 1,000), each with its <news:news> block."""

    limit = 1000

    def items(self):
        since = timezone.now() - datetime.timedelta(days=settings.NEWS_SITEMAP_DAYS)
        return (
            Article.objects.live()
            .filter(published_at__gte=since)
            .only(*ARTICLE_FIELDS, "headline")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, item):
        return max(item.published_at, item.updated_at)


SITEMAPS = {
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}
NEWS_SITEMAPS = {"news": NewsSitemap}


@public_page
def sitemap_index(request):
    depends_on(invalidation.FRONT)
    return sitemap_views.index(
        seo.SiteRequest(request), SITEMAPS, sitemap_url_name="sitemap-section"
    )


@public_page(params=("p",))
def sitemap_section(request, section):
    depends_on(invalidation.FRONT)
    return sitemap_views.sitemap(seo.SiteRequest(request), SITEMAPS, section=section)


@public_page
def news_sitemap(request):
    depends_on(invalidation.FRONT)
    response = sitemap_views.sitemap(
        seo.SiteRequest(request), NEWS_SITEMAPS, template_name="articles/news_sitemap.xml"
    )
    response.context_data["publication_name"] = settings.NEWSROOM_SITE_NAME
    response.context_data["publication_language"] = settings.NEWSROOM_LANGUAGE
    return response
