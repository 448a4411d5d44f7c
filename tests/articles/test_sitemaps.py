import datetime
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from tests.factories import ArticleFactory, AuthorFactory, SectionFactory

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def xml(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert "xml" in response["Content-Type"]
    return ET.fromstring(response.content)  # noqa: S314 - the site's own output


def locations(root):
    return [el.text for el in root.iter(f"{{{NS['sm']}}}loc")]


@pytest.fixture
def site(db):
    now = timezone.now()
    section = SectionFactory(name="Arts", slug="arts")
    author = AuthorFactory(slug="cara")
    fresh = ArticleFactory(
        headline="Fresh story & more",
        slug="fresh",
        section=section,
        authors=[author],
        tags=["opera"],
        published_at=now - datetime.timedelta(hours=5),
    )
    old = ArticleFactory(
        slug="old",
        section=section,
        published_at=now - datetime.timedelta(days=3),
    )
    return {"fresh": fresh, "old": old}


def test_sitemap_index_lists_articles_sections_tags_and_authors(client, site):
    root = xml(client, "/sitemap.xml")
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    names = sorted(loc.rsplit("/", 1)[1] for loc in locations(root))
    assert names == [
        "sitemap-articles.xml",
        "sitemap-authors.xml",
        "sitemap-sections.xml",
        "sitemap-tags.xml",
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/sitemap-articles.xml", ["/fresh/", "/old/"]),
        ("/sitemap-sections.xml", ["/section/arts/"]),
        ("/sitemap-tags.xml", ["/tag/opera/"]),
        ("/sitemap-authors.xml", ["/author/cara/"]),
    ],
)
def test_each_sitemap_holds_the_expected_urls(client, site, path, expected, settings):
    locs = locations(xml(client, path))
    assert len(locs) == len(expected)
    for loc, suffix in zip(locs, expected, strict=True):
        assert loc.startswith(settings.NEWSROOM_SITE_URL + "/")
        assert loc.endswith(suffix)


def test_news_sitemap_holds_only_the_last_two_days_with_publication_details(client, site):
    root = xml(client, "/news-sitemap.xml")
    urls = root.findall("sm:url", NS)
    assert len(urls) == 1
    url = urls[0]
    assert url.find("sm:loc", NS).text.endswith(site["fresh"].get_absolute_url())
    news = url.find("news:news", NS)
    assert news.find("news:publication/news:name", NS).text == "The Newsroom Chronicle"
    assert news.find("news:publication/news:language", NS).text == "en"
    assert news.find("news:title", NS).text == "Fresh story & more"
    published = datetime.datetime.fromisoformat(news.find("news:publication_date", NS).text)
    assert published == site["fresh"].published_at.replace(microsecond=0) or (
        abs(published - site["fresh"].published_at) < datetime.timedelta(seconds=1)
    )


def test_robots_txt_names_both_sitemaps(client, db, settings):
    text = client.get("/robots.txt").content.decode()
    assert f"Sitemap: {settings.NEWSROOM_SITE_URL}/sitemap.xml" in text
    assert f"Sitemap: {settings.NEWSROOM_SITE_URL}/news-sitemap.xml" in text
    assert client.get("/sitemap.xml").status_code == 200
    assert client.get("/news-sitemap.xml").status_code == 200
