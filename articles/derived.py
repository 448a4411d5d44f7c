"""What an article's page shows that does not change between requests, made when the
article, or something the page shows of it, is saved: not when a reader asks.

- `Article.related_ids`: its related stories, ranked (`articles.related`), and the
  stories it ranks ranked again, so a new story joins their lists;
- `Article.structured_data`: its schema.org JSON-LD (`articles.seo.news_article`); for
  live coverage with its latest published updates (a `LiveUpdate` saved refreshes it);
- `Article.page_html`: the finished markup of its page's head (meta tags, JSON-LD) and
  story (headline, byline, dateline, lead picture, body, corrections, topics, authors),
  so a full render of the page runs no template for them and no query for its bylines,
  tags and corrections. What changes with time or elsewhere stays out of it: the series
  navigation, the related stories and the comments.

(The sanitised body, word count and search vectors are made in `Article.save()` and
`articles.search`; each comment's HTML in `Comment.save()`.)

Both are made by a background task once the change commits, once per article however
many saves the transaction holds (the admin's form and inlines, an import); when what
they hold differs, `articles.signals.derived_data_changed` tells the caches.

What they name from elsewhere (a section, an author, a tag, a picture, a series) is
cleared when that changes, in one UPDATE, and the next reader makes it again, once; so is
an article saved before the data was kept.

The page's markup is cleared at once by any change it shows (`forget_pages`), in the
changing transaction, so no reader ever gets an old headline back; each clearing raises
`Article.page_html_generation`, and markup is kept only if the generation it was made
from is still the article's (`keep_page_html`): a render that raced a change is used
once and never kept.
"""

import functools
import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Prefetch
from django.db.models.fields.json import KT
from django.db.models.signals import post_delete
from django.template.loader import render_to_string
from django.utils import timezone

from newsroom.compiled import CompiledQuery
from newsroom.tasks import background, pending_on_commit

from . import related, seo
from .models import Article, Byline, Correction, LiveUpdate, RelatedLink
from .signals import derived_data_changed

DESCRIBED = ("section", "lead_image", "series")
# The parts of an article page kept whole in Article.page_html, and their templates.
PAGE_PARTS = {
    "head": "articles/parts/head.html",
    "top": "articles/parts/story_top.html",
    "rest": "articles/parts/story_rest.html",
    # Its card where another story lists it under "More on this story".
    "card": "articles/parts/card.html",
}
# Templates the parts include: what they are made with too.
INCLUDED = ("includes/article_card.html",)


class _Refresh:
    """The work for one article, run when its transaction commits."""

    def __init__(self, article_id, rank):
        self.article_id = article_id
        self.rank = rank
        self.done = False
        # on_commit(robust=True) names a failing callback by its __qualname__.
        self.__qualname__ = f"derived refresh of article {article_id}"

    def __call__(self):
        self.done = True
        refresh.enqueue(self.article_id, self.rank)


@background
def refresh(article_id, rank=False):
    """The work itself, on a worker: ranking takes tens of milliseconds on a large
    archive, five times with the neighbours, and no editor should wait for it."""
    if rank:
        for neighbour in related.refresh(article_id) or ():
            related.refresh(neighbour)
    describe(article_id)


def refresh_after_commit(article_id, rank=False):
    waiting = pending_on_commit(
        lambda callback: isinstance(callback, _Refresh) and callback.article_id == article_id
    )
    if waiting is not None:
        waiting.rank = waiting.rank or rank
        return
    transaction.on_commit(_Refresh(article_id, rank), robust=True)


def describe(article_id):
    """Make and keep the article's structured data; returns it (None for a story
    readers cannot see)."""
    story = (
        Article.objects.filter(pk=article_id, status=Article.Status.PUBLISHED)
        .select_related(*DESCRIBED)
        .prefetch_related(
            Prefetch("bylines", queryset=Byline.objects.select_related("author")),
            "tags",
            Prefetch("corrections", queryset=Correction.objects.order_by("created_at")),
        )
        .first()
    )
    if story is None:
        return None
    data = seo.news_article(
        story,
        tags=sorted(story.tags.all(), key=lambda t: t.name.lower()),
        updates=live_blog_updates(story),
    )
    data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))  # as the database gives it back
    if data != story.structured_data:
        Article.objects.filter(pk=article_id).update(structured_data=data)
        story.structured_data = data
        derived_data_changed.send(sender=Article, article_id=article_id)
    if usable_page_html(story) is None:
        from .views import ArticlePage

        keep_page_html(story, render_page(ArticlePage(story, request=None)))
    return data


def live_blog_updates(article):
    """The published updates structured data lists (newest first), for live coverage."""
    if article.kind != Article.Kind.LIVE:
        return None
    return list(
        LiveUpdate.objects.filter(article=article, status=LiveUpdate.Status.PUBLISHED)
        .select_related("author")
        .order_by("-published_at", "-id")[: seo.LIVE_BLOG_UPDATES]
    )


@functools.cache
def page_html_format():
    """What kept page markup was made with: the parts' templates and the settings they
    show (the site's name, address, language, media and static addresses). Markup made
    with anything else (a new release, a moved site) is made again on first read."""
    from django.template.loader import get_template

    made_with = [get_template(name).template.source for name in (*PAGE_PARTS.values(), *INCLUDED)]
    made_with += [
        str(getattr(settings, name, ""))
        for name in (
            "NEWSROOM_SITE_NAME",
            "NEWSROOM_SITE_URL",
            "NEWSROOM_LANGUAGE",
            "MEDIA_URL",
            "STATIC_URL",
            "TIME_ZONE",
        )
    ]
    return hashlib.sha256("\0".join(made_with).encode()).hexdigest()[:16]


def usable_page_html(article):
    """The article's kept page markup, if it was made with what makes it now."""
    parts = article.page_html
    if isinstance(parts, dict) and parts.get("format") == page_html_format():
        return parts
    return None


# Run on every full render of an article page: compiled once (newsroom/compiled.py).
_CARDS = CompiledQuery(
    lambda ids, now: (
        Article.objects.live(now)
        .filter(pk__in=ids)
        .values_list("pk", KT("page_html__format"), KT("page_html__card"))
    )
)


def kept_cards(ids):
    """The kept cards (`PAGE_PARTS["card"]`) of the live stories among `ids`, by id, in
    one query that reads only the card of each kept page; a story whose page markup is
    not kept (or was made with other templates) has its markup made and kept now, once."""
    kept, missing = {}, []
    for pk, format_of, card in _CARDS.rows(list(ids), timezone.now()):
        if format_of == page_html_format() and card is not None:
            kept[pk] = card
        else:
            missing.append(pk)
    if missing:
        from .views import ArticlePage

        for story in Article.objects.live().filter(pk__in=missing).select_related(*DESCRIBED):
            parts = render_page(ArticlePage(story, request=None))
            keep_page_html(story, parts)
            kept[story.pk] = parts["card"]
    return kept


def render_page(page, preview=False):
    """The finished markup of an article page's head and story (`PAGE_PARTS`), from
    `page` (an `articles.views.ArticlePage`); it reads nothing of a request."""
    context = {
        "page": page,
        "article": page.story,
        "preview": preview,
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_language": settings.NEWSROOM_LANGUAGE,
    }
    parts = {part: render_to_string(name, context) for part, name in PAGE_PARTS.items()}
    parts["links"] = related_links(page.story)
    parts["format"] = page_html_format()
    return parts


def related_links(article):
    """The related links its editors chose, in their order, as `page_html` keeps them:
    `{"target": <article id>}` for a story of ours (whether it is live is read with the
    page), the address and title for another site's."""
    if article.pk is None:
        return []
    return [
        {"target": target} if target else {"url": url, "title": title, "is_external": True}
        for target, url, title in RelatedLink.objects.filter(article=article)
        .order_by("position", "id")
        .values_list("target_id", "url", "title")
    ]


def keep_page_html(article, parts):
    """Keep `parts` as the article's page markup, unless something it shows has changed
    since `article` was read (its generation moved on) or it is not published."""
    if article.pk is None or article.status != Article.Status.PUBLISHED:
        return
    Article.objects.filter(
        pk=article.pk,
        status=Article.Status.PUBLISHED,
        page_html_generation=article.page_html_generation,
    ).update(page_html=parts)


def forget_pages(articles):
    """Clear the page markup of `articles` (something it shows changed): one UPDATE."""
    articles.update(page_html=None, page_html_generation=F("page_html_generation") + 1)


def structured_data(article, build):
    """The kept structured data, or `build()` kept now for an article that has none."""
    if article.structured_data is None and article.pk is not None:
        article.structured_data = build()
        Article.objects.filter(pk=article.pk).update(structured_data=article.structured_data)
    return article.structured_data


# Receivers, connected in ArticlesConfig.ready().


def article_saved(sender, instance, raw=False, **kwargs):
    if not raw and instance.status == Article.Status.PUBLISHED:
        refresh_after_commit(instance.pk, rank=True)


def tags_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        forget_pages(Article.objects.filter(pk=instance.content_object_id))
        refresh_after_commit(instance.content_object_id, rank=True)


def shown_part_changed(sender, instance, raw=False, **kwargs):
    """A byline or a correction: what the article's structured data names."""
    if not raw:
        forget_pages(Article.objects.filter(pk=instance.article_id))
        refresh_after_commit(instance.article_id)


def live_update_changed(sender, instance, raw=False, **kwargs):
    """A live article's structured data lists its latest published updates."""
    if raw or (
        instance.status == LiveUpdate.Status.DRAFT and kwargs.get("signal") is not post_delete
    ):
        return
    # Forgotten at once, not only made again after the commit: a withdrawn update must
    # not stay in the page's JSON-LD while the worker is busy. The next reader makes it.
    forget_descriptions(Article.objects.filter(pk=instance.article_id))
    refresh_after_commit(instance.article_id)


def forget_descriptions(articles):
    """Something the articles' structured data and page markup name from elsewhere
    changed: clear both (the next reader, or the next refresh, makes them again)."""
    articles.filter(status=Article.Status.PUBLISHED, structured_data__isnull=False).update(
        structured_data=None
    )
    forget_pages(articles.filter(page_html__isnull=False))


def section_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        forget_descriptions(Article.objects.filter(section=instance))


def author_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        forget_descriptions(Article.objects.filter(bylines__author=instance))


def tag_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        forget_descriptions(Article.objects.filter(taggedarticle__tag=instance))


def image_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        forget_descriptions(Article.objects.filter(lead_image=instance))


def series_changed(sender, instance, raw=False, **kwargs):
    """A series' name is the articles' `isPartOf`. (A body's pictures are listed when
    the body is rendered again: articles.body.rerender forgets the description too.)"""
    if not raw:
        forget_descriptions(Article.objects.filter(series=instance))
