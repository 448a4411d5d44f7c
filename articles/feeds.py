"""RSS 2.0 and Atom feeds (Django's syndication framework), all from
`Article.objects.live()`: latest, per section, per tag, per author, per series, and corrections.

Items carry title, link, summary, author names, categories (section and tags),
publication date and the lead image as an enclosure.
"""

import mimetypes

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape
from django.utils.text import Truncator

from newsroom import invalidation
from newsroom.caching import depends_on, public_page

from . import live, seo
from .models import LIST_FIELDS, Article, Author, Correction, Section, Series, tags_in_use


class NewsRssFeed(Rss201rev2Feed):
    content_type = "application/rss+xml; charset=utf-8"


@method_decorator(public_page, name="__call__")
class ArticleFeed(Feed):
    feed_type = NewsRssFeed
    description_template = None
    page_params = ()

    def title(self, obj=None):
        return settings.NEWSROOM_SITE_NAME

    def link(self, obj=None):
        return reverse("articles:home")

    def description(self, obj=None):
        return f"The latest stories from {settings.NEWSROOM_SITE_NAME}."

    def articles(self, obj):
        return Article.objects.live()

    def list_keys(self, obj):
        return [invalidation.FRONT]

    def get_feed(self, obj, request):
        return super().get_feed(obj, seo.SiteRequest(request))

    def items(self, obj=None):
        items = list(
            self.articles(obj)
            .cards()
            .only(*LIST_FIELDS, "updated_at")
            .prefetch_related("tags")
            .order_by("-published_at", "-id")[: settings.FEED_ITEMS]
        )
        depends_on(*self.list_keys(obj), *invalidation.cards(items))
        return items

    def item_title(self, item):
        return item.headline

    def item_description(self, item):
        # An item's description is HTML to feed readers; the standfirst is plain text.
        return escape(item.standfirst)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return seo.absolute(item.get_absolute_url())

    def item_guid_is_permalink(self, item):
        return True

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return max(item.published_at, item.updated_at)

    def item_author_name(self, item):
        return ", ".join(author.name for author in item.byline_authors) or None

    def item_author_link(self, item):
        authors = item.byline_authors
        return seo.absolute(authors[0].get_absolute_url()) if len(authors) == 1 else None

    def item_categories(self, item):
        names = [item.section.name] if item.section else []
        return names + [tag.name for tag in item.tags.all()]

    def item_enclosures(self, item):
        image = item.lead_image
        if image is None or not image.file:
            return []
        url = seo.rendition_url(image, "w960")
        mime = mimetypes.guess_type(url)[0] or "image/jpeg"
        return [Enclosure(seo.absolute(url), str(seo.rendition_bytes(image, "w960")), mime)]


class AtomMixin:
    feed_type = Atom1Feed

    def subtitle(self, obj=None):
        return self.description(obj)


class LatestFeed(ArticleFeed):
    pass


class LatestAtomFeed(AtomMixin, LatestFeed):
    pass


class SectionFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Section, slug=slug)

    def title(self, obj=None):
        return f"{obj.name} · {settings.NEWSROOM_SITE_NAME}"

    def link(self, obj=None):
        return obj.get_absolute_url()

    def description(self, obj=None):
        return escape(obj.description) or f"The latest {obj.name} stories."

    def articles(self, obj):
        return Article.objects.live().filter(section=obj)

    def list_keys(self, obj):
        return [invalidation.section(obj.pk)]


class SectionAtomFeed(AtomMixin, SectionFeed):
    pass


class TagFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(tags_in_use(), slug=slug)

    def title(self, obj=None):
        return f"{obj.name} · {settings.NEWSROOM_SITE_NAME}"

    def link(self, obj=None):
        return reverse("articles:tag", kwargs={"slug": obj.slug})

    def description(self, obj=None):
        return f"Stories tagged “{obj.name}”."

    def articles(self, obj):
        return Article.objects.live().filter(taggedarticle__tag=obj)

    def list_keys(self, obj):
        return [invalidation.tag(obj.pk)]


class TagAtomFeed(AtomMixin, TagFeed):
    pass


class AuthorFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Author, slug=slug)

    def title(self, obj=None):
        return f"{obj.name} · {settings.NEWSROOM_SITE_NAME}"

    def link(self, obj=None):
        return obj.get_absolute_url()

    def description(self, obj=None):
        return f"Stories by {obj.name}."

    def articles(self, obj):
        return Article.objects.live().filter(bylines__author=obj)

    def list_keys(self, obj):
        return [invalidation.author(obj.pk)]


class AuthorAtomFeed(AtomMixin, AuthorFeed):
    pass


class SeriesFeed(ArticleFeed):
    """A series, newest part first, as every feed."""

    def get_object(self, request, slug):
        return get_object_or_404(Series, slug=slug)

    def title(self, obj=None):
        return f"{obj.title} · {settings.NEWSROOM_SITE_NAME}"

    def link(self, obj=None):
        return obj.get_absolute_url()

    def description(self, obj=None):
        return escape(obj.description) or f"The parts of the series “{obj.title}”."

    def articles(self, obj):
        return Article.objects.live().filter(series=obj)

    def list_keys(self, obj):
        return [invalidation.series(obj.pk)]


class SeriesAtomFeed(AtomMixin, SeriesFeed):
    pass


@method_decorator(public_page, name="__call__")
class CorrectionsFeed(Feed):
    feed_type = NewsRssFeed
    page_params = ()

    def title(self):
        return f"Corrections · {settings.NEWSROOM_SITE_NAME}"

    def link(self):
        return reverse("articles:corrections")

    def description(self):
        return "Corrections, clarifications and updates to our stories, newest first."

    def get_feed(self, obj, request):
        return super().get_feed(obj, seo.SiteRequest(request))

    def items(self):
        items = list(Correction.objects.public()[: settings.FEED_ITEMS])
        depends_on(invalidation.FRONT, *(invalidation.card(item.article_id) for item in items))
        return items

    def item_title(self, item):
        return f"{item.get_kind_display()}: {item.article.headline}"

    def item_description(self, item):
        return escape(item.text)

    def item_link(self, item):
        return item.article.get_absolute_url()

    def item_guid(self, item):
        return f"{seo.absolute(item.article.get_absolute_url())}#correction-{item.pk}"

    def item_guid_is_permalink(self, item):
        return False

    def item_pubdate(self, item):
        return item.created_at

    def item_categories(self, item):
        return [item.get_kind_display()]


class CorrectionsAtomFeed(AtomMixin, CorrectionsFeed):
    def subtitle(self):
        return self.description()


@method_decorator(public_page, name="__call__")
class LiveUpdatesFeed(Feed):
    """A live article's feed: its published updates, newest first."""

    feed_type = NewsRssFeed
    page_params = ()

    def get_object(self, request, year, month, day, slug):
        from .views import live_article

        return live_article(request, year, month, day, slug)

    def get_feed(self, obj, request):
        return super().get_feed(obj, seo.SiteRequest(request))

    def title(self, obj):
        return f"{obj.headline} · {settings.NEWSROOM_SITE_NAME}"

    def link(self, obj):
        return obj.get_absolute_url()

    def description(self, obj):
        return escape(f"Live updates: {obj.headline}")

    def items(self, obj):
        depends_on(invalidation.article(obj.pk), invalidation.updates(obj.pk))
        items = list(live.published(obj.pk)[: settings.FEED_ITEMS])
        url = obj.get_absolute_url()
        for item in items:
            item.page_url = f"{url}#update-{item.pk}"
        return items

    def item_title(self, item):
        return item.title or Truncator(seo.plain_text(item.body_html)).words(12)

    def item_description(self, item):
        return item.body_html

    def item_link(self, item):
        return item.page_url

    def item_guid(self, item):
        return seo.absolute(self.item_link(item))

    def item_guid_is_permalink(self, item):
        return True

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return max(item.published_at, item.updated_at)

    def item_author_name(self, item):
        return item.author.name if item.author_id else None


class LiveUpdatesAtomFeed(AtomMixin, LiveUpdatesFeed):
    pass
