"""Absolute addresses come from NEWSROOM_SITE_URL, never from the request's host or port
(issue 17, item 16): a feed, sitemap or page fetched through another host (a demo on
another port, a proxy that passes its own Host) still names the site's own addresses."""

import datetime
import re

import feedparser
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
    png_bytes,
)

SITE = "https://news.example.org"
OTHER = "other.example:9000"
# Addresses a document may name that are not the site's: XML namespaces and schemas.
FOREIGN = re.compile(
    r"https?://(?:www\.w3\.org|purl\.org|www\.sitemaps\.org|www\.google\.com|schema\.org"
    r"|backend\.userland\.com|ogp\.me)(?![\w.])"
)


@pytest.fixture
def site(settings, db):
    settings.NEWSROOM_SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["other.example", "testserver"]
    section = SectionFactory(name="Science", slug="science")
    article = ArticleFactory(
        headline="Comet seen over the harbour",
        slug="comet",
        section=section,
        authors=[AuthorFactory(name="Ada Lovelace", slug="ada")],
        tags=["space"],
        lead_image=ImageFactory(
            alt_text="A comet", file=ContentFile(png_bytes(1200, 800), name="comet.png")
        ),
        published_at=timezone.now() - datetime.timedelta(hours=1),
    )
    return article


def fetch(client, path):
    response = client.get(path, HTTP_HOST=OTHER)
    assert response.status_code == 200, (path, response.status_code)
    text = response.content.decode()
    assert "other.example" not in text, path
    addresses = [url for url in re.findall(r"https?://[^\s\"'<>]+", text) if not FOREIGN.match(url)]
    assert addresses, path
    assert all(url.startswith(SITE + "/") or url == SITE for url in addresses), addresses
    return response, text


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/latest/",
        "/feeds/latest/atom/",
        "/feeds/section/science/",
        "/feeds/author/ada/atom/",
        "/feeds/tag/space/",
        "/feeds/corrections/",
    ],
)
def test_feeds_name_the_site_not_the_requested_host(client, site, path):
    fetch(client, path)


def test_feed_link_guid_and_enclosure_are_the_sites_with_the_real_length(client, site):
    _response, text = fetch(client, "/feeds/latest/")
    feed = feedparser.parse(text)
    assert feed.feed.link == SITE + "/"
    entry = feed.entries[0]
    assert entry.link == SITE + site.get_absolute_url()
    assert entry.id == SITE + site.get_absolute_url()
    (enclosure,) = entry.enclosures
    rendition = site.lead_image.renditions["w960"]
    assert enclosure.href == SITE + rendition["url"]
    assert int(enclosure.length) == default_storage.size(rendition["path"]) > 0


@pytest.mark.parametrize(
    "path", ["/sitemap.xml", "/sitemap-articles.xml", "/sitemap-sections.xml", "/news-sitemap.xml"]
)
def test_sitemaps_name_the_site_not_the_requested_host(client, site, path):
    fetch(client, path)


def test_robots_txt_names_the_sites_sitemaps(client, site):
    _response, text = fetch(client, "/robots.txt")
    assert f"Sitemap: {SITE}/sitemap.xml" in text
    assert f"Sitemap: {SITE}/news-sitemap.xml" in text


def test_open_graph_and_json_ld_name_the_site(client, site):
    _response, text = fetch(client, site.get_absolute_url())
    assert f'<meta property="og:url" content="{SITE}{site.get_absolute_url()}">' in text
    assert f'"@id": "{SITE}{site.get_absolute_url()}' in text or (
        f'"url": "{SITE}{site.get_absolute_url()}"' in text
    )
