import datetime

import feedparser
import pytest
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CorrectionFactory,
    ImageFactory,
    SectionFactory,
)


@pytest.fixture
def stories(db):
    now = timezone.now()
    section = SectionFactory(name="Science", slug="science")
    ada = AuthorFactory(name="Ada Lovelace", slug="ada")
    bob = AuthorFactory(name="Bob Marsh", slug="bob")
    first = ArticleFactory(
        headline="Comet seen over the harbour",
        slug="comet",
        standfirst="Astronomers gathered at midnight.",
        section=section,
        authors=[ada, bob],
        tags=["space", "harbour"],
        lead_image=ImageFactory(alt_text="A comet"),
        published_at=now - datetime.timedelta(hours=1),
    )
    second = ArticleFactory(
        headline="Library extends opening hours",
        slug="library",
        authors=[bob],
        tags=["libraries"],
        published_at=now - datetime.timedelta(hours=3),
    )
    CorrectionFactory(article=first, text="The comet was seen at 1am, not midnight.")
    return {"first": first, "second": second}


def parse(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return response, feed


@pytest.mark.parametrize("atom", [False, True])
def test_latest_feed_items_carry_title_link_summary_authors_categories_date_image(
    client, stories, atom
):
    response, feed = parse(client, "/feeds/latest/atom/" if atom else "/feeds/latest/")
    assert response["Content-Type"].startswith(
        "application/atom+xml" if atom else "application/rss+xml"
    )
    assert feed.version == ("atom10" if atom else "rss20")
    assert [entry.title for entry in feed.entries] == [
        "Comet seen over the harbour",
        "Library extends opening hours",
    ]
    entry = feed.entries[0]
    assert entry.link.endswith(stories["first"].get_absolute_url())
    assert entry.summary == "Astronomers gathered at midnight."
    assert "Ada Lovelace" in entry.author and "Bob Marsh" in entry.author
    assert {tag.term for tag in entry.tags} == {"Science", "space", "harbour"}
    assert entry.published_parsed[:5] == stories["first"].published_at.utctimetuple()[:5]
    enclosures = entry.enclosures
    assert len(enclosures) == 1
    assert enclosures[0].type.startswith("image/")
    assert enclosures[0].href.startswith("http")
    assert "enclosures" not in feed.entries[1] or not feed.entries[1].enclosures


@pytest.mark.parametrize(
    ("path", "titles"),
    [
        ("/feeds/section/science/", ["Comet seen over the harbour"]),
        ("/feeds/tag/libraries/", ["Library extends opening hours"]),
        ("/feeds/author/ada/", ["Comet seen over the harbour"]),
        (
            "/feeds/author/bob/atom/",
            ["Comet seen over the harbour", "Library extends opening hours"],
        ),
        ("/feeds/tag/space/atom/", ["Comet seen over the harbour"]),
    ],
)
def test_section_tag_and_author_feeds_hold_their_own_stories(client, stories, path, titles):
    _response, feed = parse(client, path)
    assert [entry.title for entry in feed.entries] == titles


@pytest.mark.parametrize("path", ["/feeds/corrections/", "/feeds/corrections/atom/"])
def test_corrections_feed_lists_corrections_with_links_to_the_story(client, stories, path):
    _response, feed = parse(client, path)
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert entry.title == "Correction: Comet seen over the harbour"
    assert entry.summary == "The comet was seen at 1am, not midnight."
    assert stories["first"].get_absolute_url() in entry.link


def test_feed_of_an_unknown_section_is_404(client, db):
    assert client.get("/feeds/section/nowhere/").status_code == 404


def test_feed_escapes_markup_in_headlines(client, db):
    ArticleFactory(headline="Fish & chips <b>tax</b>", slug="fish")
    _response, feed = parse(client, "/feeds/latest/")
    assert feed.entries[0].title == "Fish & chips <b>tax</b>"
