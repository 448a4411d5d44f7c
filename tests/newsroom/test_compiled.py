"""Querysets compiled once (newsroom/compiled.py): the same results as the ORM's, the
SQL kept only when it fits, and the queries of a full render kept."""

import datetime

import pytest
from django.db import connection
from django.db.models.fields.json import KT
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from newsroom.compiled import CompiledQuery
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def plans(query):
    return list(query._plans.values())


def test_rows_and_objects_are_what_the_orm_gives_for_new_values():
    now = timezone.now()
    old = ArticleFactory(slug="old", published_at=now - datetime.timedelta(days=3))
    new = ArticleFactory(slug="new", published_at=now - datetime.timedelta(hours=1))
    query = CompiledQuery(
        lambda when, ids: (
            Article.objects.filter(published_at__lte=when, pk__in=ids)
            .order_by("pk")
            .values_list("pk", "published_at", "body_media", KT("body_media__frames"))
        )
    )
    build = query.build
    for when in (now, now - datetime.timedelta(days=1), now - datetime.timedelta(days=5)):
        ids = [old.pk, new.pk]
        assert query.rows(when, ids) == list(build(when, ids))
    assert [plan is not None for plan in plans(query)] == [True]
    # Another number of ids is another shape: kept apart.
    assert query.rows(now, [new.pk]) == list(build(now, [new.pk]))
    assert len(plans(query)) == 2

    stories = CompiledQuery(
        lambda slug: Article.objects.filter(slug=slug).only("headline", "published_at")[:1]
    )
    for slug in ("old", "new", "none"):
        got = stories.objects(slug)
        expected = list(Article.objects.filter(slug=slug).only("headline", "published_at")[:1])
        assert [(s.pk, s.headline, s.published_at) for s in got] == [
            (s.pk, s.headline, s.published_at) for s in expected
        ]
        assert all(
            s.get_deferred_fields() == e.get_deferred_fields()
            for s, e in zip(got, expected, strict=True)
        )


def test_a_query_that_does_not_fit_runs_through_the_orm_every_time():
    ArticleFactory(slug="harbour", headline="Harbour wall breached")
    # The SQL changes with the value: never kept.
    branching = CompiledQuery(
        lambda wide: (
            Article.objects.filter(headline__icontains="wall")
            if wide
            else Article.objects.filter(slug="harbour")
        )
    )
    assert len(branching.objects(True)) == 1
    assert plans(branching) == [None]
    # The value is not sent as it is given (wrapped in %...%): never kept.
    contains = CompiledQuery(lambda word: Article.objects.filter(headline__icontains=word))
    assert [a.slug for a in contains.objects("breach")] == ["harbour"]
    assert [a.slug for a in contains.objects("flood")] == []
    assert plans(contains) == [None]
    # No ids: the ORM runs no query at all, and neither does this.
    empty = CompiledQuery(lambda ids: Article.objects.filter(pk__in=ids))
    with CaptureQueriesContext(connection) as queries:
        assert empty.objects([]) == []
    assert len(queries) == 0


def test_the_queries_of_a_full_render_are_kept(client, settings):
    """Each query an article page runs on every full render is compiled once, on this
    database (the suite runs on SQLite and on PostgreSQL)."""
    from articles import derived, views
    from articles.models import RelatedLink
    from newsroom import context_processors

    settings.PAGE_CACHE_SECONDS = settings.FRAGMENT_CACHE_SECONDS = 0
    story = ArticleFactory(headline="Harbour wall breached")
    RelatedLink.objects.create(article=story, position=0, target=ArticleFactory())
    queries = (views._STORY, derived._CARDS, context_processors.MENU, context_processors.SHOWING)
    for query in queries:
        query._plans.clear()
    for _ in range(2):
        assert client.get(story.get_absolute_url()).status_code == 200
    for query in queries:
        assert plans(query) and None not in plans(query), query.build
    # The story and the banner come as model instances made from the rows themselves.
    for query in (views._STORY, context_processors.SHOWING):
        assert all(plan.fields for plan in plans(query))
