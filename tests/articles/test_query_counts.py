"""Constant work per page: the same number of queries whatever the data size.

Each page is requested against a small site and a large one (more articles, more
authors per article, more tags, hundreds of comments), with the page cache off, and
must run the same number of queries — a bound also stops a page from growing.
"""

import datetime

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Correction
from comments.models import Comment
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
)

MAX_QUERIES = 12


def build_site(*, articles, sections, authors_per_article, tags_per_article, comments):
    # As on a real site, what is derived when a save commits (related stories) is there.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return _build_site(
            articles=articles,
            sections=sections,
            authors_per_article=authors_per_article,
            tags_per_article=tags_per_article,
            comments=comments,
        )


def _build_site(*, articles, sections, authors_per_article, tags_per_article, comments):
    now = timezone.now()
    sections = [
        SectionFactory(name=f"Section {n}", slug=f"sec-{n}", position=sections - n)
        for n in range(sections)
    ]
    authors = [AuthorFactory(slug=f"writer-{n}") for n in range(max(authors_per_article, 1))]
    image = ImageFactory()
    tags = [f"topic-{n}" for n in range(tags_per_article)]
    made = []
    for n in range(articles):
        made.append(
            ArticleFactory(
                slug=f"story-{n}",
                headline=f"Story {n} about otters",
                section=sections[n % len(sections)],
                authors=authors[:authors_per_article],
                tags=tags,
                lead_image=image,
                featured=n == 0,
                published_at=now - datetime.timedelta(hours=n + 1),
            )
        )
        Correction.objects.create(article=made[-1], text=f"Correction {n}")
    main = made[0]
    Comment.objects.bulk_create(
        [
            Comment(
                article=main,
                name=f"Reader {n}",
                email="reader@example.org",
                body="Interesting.",
                body_html="<p>Interesting.</p>",
                status=Comment.Status.APPROVED,
            )
            for n in range(comments)
        ]
    )
    return main


# One comment, not none: with no comments at all the comments section skips its replies
# lookup, one query fewer, which is no growth.
SMALL = {
    "articles": 22,
    "sections": 2,
    "authors_per_article": 1,
    "tags_per_article": 0,
    "comments": 1,
}
LARGE = {
    "articles": 45,
    "sections": 6,
    "authors_per_article": 10,
    "tags_per_article": 30,
    "comments": 500,
}


def paths(main):
    return {
        "home": "/",
        "home page 2": "/?page=2",
        "article": main.get_absolute_url(),
        "section": "/section/sec-0/",
        "tag": "/tag/topic-0/" if main.tags.exists() else None,
        "author": "/author/writer-0/",
        "search": "/search/?q=otters",
        "corrections": "/corrections/",
        "feed": "/feeds/latest/",
        "atom feed": "/feeds/latest/atom/",
        "author feed": "/feeds/author/writer-0/",
        "corrections feed": "/feeds/corrections/",
        "sitemap": "/sitemap-articles.xml",
        # An empty sitemap skips its item query; compare only when there are tags.
        "tag sitemap": "/sitemap-tags.xml" if main.tags.exists() else None,
        "news sitemap": "/news-sitemap.xml",
    }


def count_queries(client, main):
    counts = {}
    for name, path in paths(main).items():
        if path is None:
            continue
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code in (200, 404), (name, response.status_code)
        counts[name] = (response.status_code, len(queries))
    return counts


@pytest.fixture
def no_page_cache(settings):
    """Every request renders everything: no page cache and no fragment cache."""
    settings.PAGE_CACHE_SECONDS = 0
    settings.FRAGMENT_CACHE_SECONDS = 0


@pytest.mark.django_db
def test_every_page_runs_the_same_queries_for_a_small_and_a_large_site(client, no_page_cache):
    small = count_queries(client, build_site(**SMALL))
    Comment.objects.all().delete()
    from articles.models import Article, Author, Image, Section

    Article.objects.all().delete()
    Author.objects.all().delete()
    Section.objects.all().delete()
    Image.objects.all().delete()
    large = count_queries(client, build_site(**LARGE))
    for name, (status, queries) in large.items():
        assert queries <= MAX_QUERIES, f"{name} ran {queries} queries"
        if name in small:
            assert small[name] == (status, queries), f"{name}: {small[name]} vs {queries}"


@pytest.mark.django_db
@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
def test_article_page_query_count_is_fixed(client, no_page_cache, django_assert_num_queries, size):
    main = build_site(**size)
    client.get(main.get_absolute_url())  # warm per-process caches (content types)
    with django_assert_num_queries(ARTICLE_QUERIES):
        response = client.get(main.get_absolute_url())
    assert response.status_code == 200


# the whole article with its comment counts (its head and story kept whole in page_html,
# the first page of its comments in thread_html), the stories of ours among its related
# links and related stories, the section menu, and the breaking news banner.
ARTICLE_QUERIES = 4


@pytest.mark.django_db
def test_what_is_kept_of_the_article_is_small_and_its_reader_reads_the_story_once(
    client, settings, django_assert_num_queries
):
    """The request that reads the article's keys reads the whole story in the same query;
    the fragment cache keeps only what a page needs outside its fragments."""
    from django.core.cache import cache

    from articles.views import KEPT_KEYS
    from newsroom.caching import fragment_key

    settings.PAGE_CACHE_SECONDS = 0
    settings.FRAGMENT_CACHE_SECONDS = 300
    main = build_site(**SMALL)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(main.get_absolute_url())
    assert first.status_code == 200
    reads = [
        query["sql"]
        for query in queries
        if query["sql"].startswith("SELECT") and '"articles_article"."thread_html"' in query["sql"]
    ]
    assert len(reads) == 1, reads
    kept = cache.get(fragment_key("article-keys", [main.slug]))[3]
    assert set(kept.__dict__) - {"_state", "_django_version"} == KEPT_KEYS
    assert kept.comment_total == Comment.objects.filter(article=main, status="approved").count()
    assert kept._state.fields_cache == {}
    # What was kept is enough for the page: the same page, read from the fragments.
    with django_assert_num_queries(0):
        again = client.get(main.get_absolute_url())
    assert again.content == first.content


@pytest.mark.django_db
def test_a_page_whose_markup_is_kept_reads_only_what_its_fragments_show(
    client, no_page_cache, django_assert_num_queries
):
    """The story's body, its section and its picture are in the kept markup: the page
    does not read them again. A story in a series reads its parts (and the series with
    them) in one more query."""
    from articles.models import Article, Series

    main = build_site(**SMALL)
    client.get(main.get_absolute_url())  # the markup is made and kept
    with CaptureQueriesContext(connection) as queries:
        assert client.get(main.get_absolute_url()).status_code == 200
    story = queries.captured_queries[0]["sql"]
    assert '"articles_article"."thread_html"' in story
    for column in (
        '"articles_article"."body_html"',
        '"articles_article"."body"',
        "articles_section",
    ):
        assert column not in story

    series = Series.objects.create(title="The storm", slug="the-storm")
    Article.objects.filter(pk=main.pk).update(series=series)
    client.get(main.get_absolute_url())
    with django_assert_num_queries(ARTICLE_QUERIES + 1):
        html = client.get(main.get_absolute_url()).content.decode()
    assert "The storm" in html and series.get_absolute_url() in html
