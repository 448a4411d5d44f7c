"""Nothing that is not live reaches a reader: not a page, list, feed, sitemap or search.

Draft, in-review, scheduled and withdrawn articles share a section, a tag and an
author with a live one, so every list that shows the live one could leak them.
"""

import datetime

import feedparser
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory, AuthorFactory, CorrectionFactory, SectionFactory

HIDDEN = {
    "draft": {"status": Article.Status.DRAFT, "published_at": None},
    "review": {"status": Article.Status.REVIEW, "published_at": None},
    "scheduled": {"status": Article.Status.PUBLISHED, "published_at": "future"},
    "withdrawn": {"status": Article.Status.WITHDRAWN, "published_at": "past"},
}


@pytest.fixture
def newsroom(db):
    now = timezone.now()
    section = SectionFactory(name="City", slug="city")
    author = AuthorFactory(name="Ada Byline", slug="ada-byline")
    live = ArticleFactory(
        headline="Visible zebra crossing story",
        slug="visible-story",
        section=section,
        authors=[author],
        tags=["zebra"],
        published_at=now - datetime.timedelta(hours=2),
    )
    hidden = {}
    for name, fields in HIDDEN.items():
        when = {
            None: None,
            "future": now + datetime.timedelta(hours=3),
            "past": now - datetime.timedelta(hours=1),
        }[fields["published_at"]]
        hidden[name] = ArticleFactory(
            headline=f"Secret zebra {name} story",
            slug=f"secret-{name}",
            section=section,
            authors=[author],
            tags=["zebra"],
            status=fields["status"],
            published_at=when,
        )
        CorrectionFactory(article=hidden[name], text=f"Hidden correction {name}")
    CorrectionFactory(article=live, text="Visible correction")
    return {"live": live, "hidden": hidden, "section": section, "author": author}


def detail_url(article, when=None):
    when = timezone.localtime(when or article.published_at or timezone.now())
    return reverse(
        "articles:detail",
        kwargs={"year": when.year, "month": when.month, "day": when.day, "slug": article.slug},
    )


PUBLIC_PATHS = [
    "/",
    "/?page=1",
    "/section/city/",
    "/tag/zebra/",
    "/author/ada-byline/",
    "/search/?q=zebra",
    "/corrections/",
    "/feeds/latest/",
    "/feeds/latest/atom/",
    "/feeds/section/city/",
    "/feeds/section/city/atom/",
    "/feeds/tag/zebra/",
    "/feeds/tag/zebra/atom/",
    "/feeds/author/ada-byline/",
    "/feeds/author/ada-byline/atom/",
    "/feeds/corrections/",
    "/feeds/corrections/atom/",
    "/sitemap-articles.xml",
    "/news-sitemap.xml",
]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_only_the_live_article_appears_in_every_list_feed_and_sitemap(client, newsroom, path):
    response = client.get(path)
    assert response.status_code == 200
    text = response.content.decode()
    live = newsroom["live"]
    if "corrections" in path:
        assert "Visible correction" in text
    else:
        assert live.slug in text
    for name, article in newsroom["hidden"].items():
        assert article.slug not in text, f"{name} article leaked into {path}"
        assert f"Secret zebra {name}" not in text
        assert f"Hidden correction {name}" not in text


@pytest.mark.parametrize("name", ["draft", "review", "scheduled"])
def test_reader_gets_404_for_an_article_that_is_not_live(client, newsroom, name):
    article = newsroom["hidden"][name]
    response = client.get(detail_url(article))
    assert response.status_code == 404
    assert b"find that page" in response.content


def test_reader_gets_410_in_the_site_design_for_a_withdrawn_article(client, newsroom):
    response = client.get(detail_url(newsroom["hidden"]["withdrawn"]))
    assert response.status_code == 410
    text = response.content.decode()
    assert "has been withdrawn" in text
    assert 'class="masthead"' in text
    assert "Secret zebra" not in text


def test_live_article_is_served_only_at_its_own_date(client, newsroom):
    live = newsroom["live"]
    assert client.get(detail_url(live)).status_code == 200
    other_day = live.published_at - datetime.timedelta(days=3)
    assert client.get(detail_url(live, when=other_day)).status_code == 404


def test_impossible_date_is_a_404_not_an_error(client, newsroom):
    assert client.get("/2026/02/31/visible-story/").status_code == 404


def test_tag_and_author_sitemaps_skip_names_with_only_hidden_articles(client, db):
    author = AuthorFactory(slug="ghost-writer")
    ArticleFactory(draft=True, authors=[author], tags=["unpublished-topic"])
    assert b"ghost-writer" not in client.get("/sitemap-authors.xml").content
    assert b"unpublished-topic" not in client.get("/sitemap-tags.xml").content


def test_scheduled_article_appears_by_itself_when_its_time_comes(client, db):
    start = timezone.now()
    embargo = start + datetime.timedelta(hours=2)
    article = ArticleFactory(
        headline="Embargoed quokka census",
        slug="embargoed-quokka-census",
        published_at=embargo,
        tags=["quokka"],
    )
    with time_machine.travel(start, tick=False):
        assert client.get(detail_url(article)).status_code == 404
        assert b"quokka-census" not in client.get("/").content
        assert b"quokka-census" not in client.get("/feeds/latest/").content
        assert b"quokka-census" not in client.get("/search/?q=quokka").content
    # Nothing is run at the embargo time: the clock alone makes it live.
    with time_machine.travel(embargo + datetime.timedelta(minutes=1), tick=False):
        from django.core.cache import cache

        cache.clear()  # the page cache may hold the earlier page for its lifetime
        assert client.get(detail_url(article)).status_code == 200
        assert b"quokka-census" in client.get("/").content
        feed = feedparser.parse(client.get("/feeds/latest/").content)
        assert [entry.title for entry in feed.entries] == ["Embargoed quokka census"]
        assert b"quokka-census" in client.get("/search/?q=quokka").content
        assert b"quokka-census" in client.get("/sitemap-articles.xml").content


@pytest.mark.parametrize(
    "path", ["/tag/only-drafts/", "/feeds/tag/only-drafts/", "/feeds/tag/only-drafts/atom/"]
)
def test_a_tag_only_hidden_stories_carry_has_no_page_or_feed(client, db, path):
    """Issue 17, item 14: a tag is public once a live story carries it, not before."""
    for trait in ("draft", "review", "scheduled", "withdrawn"):
        ArticleFactory(**{trait: True}, tags=["only-drafts"])
    assert client.get(path).status_code == 404
    ArticleFactory(tags=["only-drafts"])
    assert client.get(path).status_code == 200
