"""What an article's page shows that does not change between requests, made when the
article, or something the page shows of it, is saved: not when a reader asks.

- `Article.related_ids`: its related stories, ranked (`articles.related`), and the
  stories it ranks ranked again, so a new story joins their lists;
- `Article.structured_data`: its schema.org JSON-LD (`articles.seo.news_article`); for
  live coverage with its latest published updates (a `LiveUpdate` saved refreshes it).

(The sanitised body, word count and search vectors are made in `Article.save()` and
`articles.search`; each comment's HTML in `Comment.save()`.)

Both are made by a background task once the change commits, once per article however
many saves the transaction holds (the admin's form and inlines, an import); when what
they hold differs, `articles.signals.derived_data_changed` tells the caches.

What the structured data names from elsewhere (a section, an author, a tag, a picture,
a series) is cleared when that changes, in one UPDATE, and the next reader makes it
again, once; so is an article saved before the data was kept.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import post_delete

from newsroom.tasks import background

from . import related, seo
from .models import Article, Byline, Correction, LiveUpdate
from .signals import derived_data_changed

DESCRIBED = ("section", "lead_image", "series")


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
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for _savepoints, callback, _robust in connection.run_on_commit:
            mine = isinstance(callback, _Refresh) and callback.article_id == article_id
            if mine and not callback.done:
                callback.rank = callback.rank or rank
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
        derived_data_changed.send(sender=Article, article_id=article_id)
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
        refresh_after_commit(instance.content_object_id, rank=True)


def shown_part_changed(sender, instance, raw=False, **kwargs):
    """A byline or a correction: what the article's structured data names."""
    if not raw:
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
    articles.filter(status=Article.Status.PUBLISHED, structured_data__isnull=False).update(
        structured_data=None
    )


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
