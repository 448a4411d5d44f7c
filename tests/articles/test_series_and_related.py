"""Curated related links come first and drop out when their story stops being live
(with the page cache on); a series has its page, feeds, part numbers and neighbours."""

import json
import re

import feedparser
import pytest
from django.db import IntegrityError, transaction

from articles.models import RelatedLink, Series
from tests.factories import ArticleFactory, SectionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def related_headlines(html):
    section = html[html.index('id="related-heading"') :]
    section = section[: section.index("</section>")]
    return re.findall(
        r'class="card-headline"><a href="[^"]*"(?: rel="noopener")?>([^<]+)</a>', section
    )


def test_related_links_come_first_in_order_and_drop_out_when_not_live(client, editor, settings):
    assert settings.PAGE_CACHE_SECONDS > 0
    news = SectionFactory(slug="news")
    article = ArticleFactory(headline="Harbour wall falls", section=news)
    first = ArticleFactory(headline="Storm warning issued", section=SectionFactory(slug="a"))
    third = ArticleFactory(headline="Council meets on repairs", section=SectionFactory(slug="b"))
    scheduled = ArticleFactory(
        headline="Not out yet", scheduled=True, section=SectionFactory(slug="c")
    )
    ArticleFactory(headline="Automatic neighbour", section=news)
    RelatedLink.objects.create(article=article, position=2, target=third)
    RelatedLink.objects.create(
        article=article, position=1, url="https://archive.example/1953", title="The 1953 flood"
    )
    RelatedLink.objects.create(article=article, position=0, target=first)
    RelatedLink.objects.create(article=article, position=3, target=scheduled)

    html = client.get(article.get_absolute_url()).content.decode()
    assert related_headlines(html) == [
        "Storm warning issued",
        "The 1953 flood",
        "Council meets on repairs",
        "Automatic neighbour",
    ]
    assert 'href="https://archive.example/1953" rel="noopener"' in html
    assert client.get(article.get_absolute_url()).content.decode() == html  # a cache hit

    third.withdraw(by=editor)
    html = client.get(article.get_absolute_url()).content.decode()
    assert related_headlines(html) == [
        "Storm warning issued",
        "The 1953 flood",
        "Automatic neighbour",
    ]


def test_related_link_is_one_of_ours_or_an_address_with_a_title():
    article, other = ArticleFactory(), ArticleFactory()
    for bad in (
        {"target": other, "url": "https://x.example/", "title": "Both"},
        {"url": "https://x.example/"},
        {},
        {"target": article},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            RelatedLink.objects.create(article=article, **bad)


@pytest.fixture
def series():
    harbour = Series.objects.create(
        title="Rebuilding the harbour", slug="harbour", description="A year of repairs."
    )
    parts = [
        ArticleFactory(headline=f"Part {n}: the harbour", series=harbour, series_position=n)
        for n in (3, 1, 2)
    ]
    ArticleFactory(headline="Draft part", series=harbour, series_position=4, draft=True)
    return harbour, sorted(parts, key=lambda part: part.series_position)


def test_article_in_a_series_shows_its_part_and_neighbours_and_is_part_of(client, series):
    _harbour, (one, two, three) = series
    html = client.get(two.get_absolute_url()).content.decode()
    nav = html[html.index('class="series-nav"') :]
    nav = nav[: nav.index("</nav>")]
    assert "Rebuilding the harbour</a>: part 2 of 3" in nav
    assert f'href="{one.get_absolute_url()}" rel="prev"' in nav
    assert f'href="{three.get_absolute_url()}" rel="next"' in nav
    data = json.loads(re.search(r'application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["isPartOf"]["@type"] == "CreativeWorkSeries"
    assert data["isPartOf"]["name"] == "Rebuilding the harbour"
    assert data["isPartOf"]["url"].endswith("/series/harbour/")

    first = client.get(one.get_absolute_url()).content.decode()
    assert "part 1 of 3" in first and 'rel="prev"' not in first


def test_series_page_lists_the_live_parts_in_order_with_feeds(client, series):
    _harbour, parts = series
    response = client.get("/series/harbour/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "Rebuilding the harbour" in html and "A year of repairs." in html
    order = [html.index(part.headline) for part in parts]
    assert order == sorted(order)
    assert "Draft part" not in html
    for path in ("/feeds/series/harbour/", "/feeds/series/harbour/atom/"):
        feed = feedparser.parse(client.get(path).content)
        assert {entry.title for entry in feed.entries} == {part.headline for part in parts}
    assert client.get("/series/nothing-here/").status_code == 404
    assert client.get("/feeds/series/nothing-here/").status_code == 404


def test_a_part_number_is_unique_in_its_series_and_needs_a_series(series):
    harbour, _parts = series
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(series=harbour, series_position=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(series=None, series_position=2)


def test_a_new_part_and_a_renamed_series_reach_every_part_with_the_page_cache_on(
    client, series, editor, settings
):
    assert settings.PAGE_CACHE_SECONDS > 0
    harbour, (_one, two, _three) = series
    assert "part 2 of 3" in client.get(two.get_absolute_url()).content.decode()
    draft = harbour.articles.get(headline="Draft part")
    draft.publish(by=editor)
    html = client.get(two.get_absolute_url()).content.decode()
    assert "part 2 of 4" in html
    assert "Draft part" in client.get("/series/harbour/").content.decode()

    harbour.title = "The harbour, rebuilt"
    harbour.save()
    assert (
        "The harbour, rebuilt</a>: part 2 of 4"
        in client.get(two.get_absolute_url()).content.decode()
    )
    assert "The harbour, rebuilt" in client.get("/series/harbour/").content.decode()
    html = client.get(two.get_absolute_url()).content.decode()
    data = json.loads(re.search(r'application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["isPartOf"]["name"] == "The harbour, rebuilt"
