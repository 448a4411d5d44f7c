"""Related stories: ranked when a story is saved, read with the page.

Ranking counts shared tags over thousands of candidates on a large archive (tens of
milliseconds at 100,000 stories), so no reader pays it: the ranked ids are derived
data, kept on the article (`Article.related_ids`) and made again when it is saved or
its tags change (`articles.derived`). The stories themselves are read through `live()`
with the page, so one that is withdrawn drops out at once. An article saved before the
ids were kept is ranked by its first reader, once.
"""

import datetime

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Article, TaggedArticle
from .signals import derived_data_changed

RELATED_STORIES = 4
RELATED_WINDOW = datetime.timedelta(days=180)
SECTION_RELATED_WINDOW = datetime.timedelta(days=30)


def rank(article, limit=RELATED_STORIES):
    """Ids of live stories near the article in time that share its tags (most shared
    first), then others from its section; one query however many tags it has.
    Candidates come from two index lookups (articles with those tags, the section's
    recent stories), and the shared tags are counted only for them."""
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
        .order_by("-shared", "-published_at", "-id")
        .values_list("pk", flat=True)[:limit]
    )


def refresh(article_id, announce=True):
    """Rank the article's related stories again and keep the ids (a story readers
    cannot see keeps none: it is ranked when it is published). A change is announced,
    unless the caller is the reader about to show it."""
    story = (
        Article.objects.filter(pk=article_id, status=Article.Status.PUBLISHED)
        .only("pk", "published_at", "section_id", "related_ids")
        .first()
    )
    if story is None:
        return None
    ids = rank(story)
    if ids != story.related_ids:
        Article.objects.filter(pk=article_id).update(related_ids=ids)
        if announce:
            derived_data_changed.send(sender=Article, article_id=article_id)
    return ids


def related_ids(article):
    """The kept ids, ranked now (and kept) for an article that has none yet."""
    if article.related_ids is None and article.pk is not None:
        article.related_ids = refresh(article.pk, announce=False)
    return article.related_ids or []
