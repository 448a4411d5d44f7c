"""Search: one interface over PostgreSQL full-text search and the SQLite fallback."""

import io

import pytest
from django.db import connection
from django.utils.html import escape

from articles import search
from articles.models import Article
from tests.factories import ArticleFactory


@pytest.fixture
def corpus(db):
    return {
        "budget": ArticleFactory(
            headline="Council approves budget for libraries",
            slug="budget",
            standfirst="Parking charges rise to pay for it.",
            body="<p>The library service will open on Sundays.</p>",
        ),
        "bridge": ArticleFactory(
            headline="Bridge closed for repairs",
            slug="bridge",
            standfirst="Drivers face a long diversion.",
            body="<p>The council budget for roads was spent in March.</p>",
        ),
        "park": ArticleFactory(
            headline="New park opens by the river",
            slug="park",
            standfirst="Residents welcomed the green space.",
            body="<p>Children played by the water on opening day.</p>",
        ),
        "draft": ArticleFactory(headline="Secret budget plans", slug="secret", draft=True),
    }


def slugs(query):
    return [article.slug for article in search.search(query)]


def test_finds_a_word_and_ranks_headline_matches_first(corpus):
    assert slugs("budget") == ["budget", "bridge"]


def test_a_quoted_phrase_must_appear_as_written(corpus):
    assert slugs('"council budget"') == ["bridge"]


def test_a_minus_sign_excludes_a_word(corpus):
    assert slugs("budget -libraries") == ["bridge"]


def test_or_finds_either_word(corpus):
    assert set(slugs("river or bridge")) == {"park", "bridge"}


@pytest.mark.parametrize("query", ["", "   ", "the and of", '"" -', "!!! ??? ...", "—"])
def test_empty_stop_word_and_punctuation_queries_find_nothing_without_error(corpus, query):
    assert slugs(query) == []
    assert not search.SearchQuery(query).is_searchable


def test_search_never_returns_an_article_that_is_not_live(corpus):
    assert "secret" not in slugs("secret budget plans")
    assert "secret" not in slugs("secret")


def test_odd_punctuation_around_words_still_searches(corpus):
    assert slugs("(bridge!)") == ["bridge"]


def test_search_data_follows_every_save(corpus):
    article = corpus["park"]
    article.headline = "New wetland opens by the river"
    article.save()
    assert slugs("wetland") == ["park"]


def test_search_page_shows_highlighted_snippets_and_what_was_searched(client, corpus):
    response = client.get("/search/", {"q": "diversion"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Results for <strong>diversion</strong>" in text
    assert text.count('class="card result"') == 1
    assert "More results" not in text
    assert "<mark>diversion</mark>" in text
    assert '<meta name="robots" content="noindex, follow">' in text
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word or two"),
        ("the of and", "only very common words"),
        ("zzzxqv", "No stories match"),
    ],
)
def test_search_page_answers_sensibly_when_there_is_nothing_to_find(client, corpus, query, message):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_search_page_escapes_the_query_and_the_snippet(client, db):
    ArticleFactory(
        headline="Harmless story",
        slug="harmless",
        standfirst="A <script>alert(1)</script> standfirst about otters.",
    )
    query = "otters <img src=x onerror=alert(1)>"
    text = client.get("/search/", {"q": query}).content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "<img src=x" not in text
    assert escape(query) in text


def test_search_results_paginate(client, db):
    for n in range(13):
        ArticleFactory(headline=f"Otter count {n}", slug=f"otter-{n}")
    first = client.get("/search/", {"q": "otter"}).content.decode()
    second = client.get("/search/", {"q": "otter", "page": 2}).content.decode()
    # No exact count (counting the matches of a common word read much of the archive):
    # the first page offers more results, the last one does not.
    assert first.count('class="card result"') == 10
    assert "More results" in first
    assert "?q=otter&amp;page=2" in first
    assert second.count('class="card result"') == 3
    assert "More results" not in second
    assert "Previous results" in second
    assert client.get("/search/", {"q": "otter", "page": 9}).status_code == 404


@pytest.mark.postgres
def test_stored_vectors_are_weighted_and_the_rank_vector_is_small(corpus):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text, search_rank_vector::text FROM articles_article "
            "WHERE slug = 'budget'"
        )
        vector, rank_vector = cursor.fetchone()
    assert "'budget':3A" in vector
    assert "'park':6B" in vector
    assert "'sunday':17C" in vector
    assert "'budget':3A" in rank_vector
    assert "sunday" not in rank_vector


@pytest.mark.postgres
def test_postgres_search_uses_the_gin_index(corpus):
    # A realistic table: thousands of live articles, one of them about a rare word.
    words = ["council", "school", "river", "market", "housing", "transport", "weather"]
    Article.objects.bulk_create(
        [
            Article(
                headline=f"{words[n % 7].title()} story number {n}",
                slug=f"bulk-{n}",
                standfirst=f"About the {words[(n + 3) % 7]} and the {words[(n + 5) % 7]}.",
                body=f"<p>{' '.join(words)} {n}</p>",
                status=Article.Status.PUBLISHED,
                published_at="2024-01-01T00:00:00Z",
            )
            for n in range(5000)
        ]
    )
    search.reindex()
    with connection.cursor() as cursor:
        # Bulk writes sit in the GIN pending list until VACUUM; flush them as VACUUM would.
        cursor.execute("SELECT gin_clean_pending_list('article_search_vector_gin')")
        cursor.execute("ANALYZE articles_article")
    plan = search.search("libraries").explain()
    assert "article_search_vector_gin" in plan, plan


@pytest.mark.postgres
def test_reindex_recomputes_vectors_after_a_bulk_insert(db):
    Article.objects.bulk_create(
        [
            Article(
                headline="Bulk imported kingfisher story",
                slug="kingfisher",
                status=Article.Status.PUBLISHED,
                published_at="2020-01-01T00:00:00Z",
            )
        ]
    )
    assert slugs("kingfisher") == []
    assert search.reindex() >= 1
    assert slugs("kingfisher") == ["kingfisher"]


@pytest.mark.postgres
def test_rebuild_search_index_command(db):
    from django.core.management import call_command

    Article.objects.bulk_create(
        [
            Article(
                headline="Bulk imported heron story",
                slug="heron-bulk",
                status=Article.Status.PUBLISHED,
                published_at="2020-01-01T00:00:00Z",
            )
        ]
    )
    out = io.StringIO()
    call_command("rebuild_search_index", "--batch-size", "1", stdout=out, stderr=io.StringIO())
    assert "rebuilt for 1 articles" in out.getvalue()
    assert slugs("heron") == ["heron-bulk"]
