"""What search engines read: titles, descriptions, canonical, cards and NewsArticle JSON-LD."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CorrectionFactory,
    ImageFactory,
    SectionFactory,
)

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld(html):
    blocks = JSON_LD.findall(html)
    assert len(blocks) == 1, blocks
    return json.loads(blocks[0])


def meta(html, attr, name):
    match = re.search(rf'<meta {attr}="{re.escape(name)}" content="([^"]*)"', html)
    return match.group(1) if match else None


@pytest.fixture
def article(db):
    published = timezone.now() - datetime.timedelta(hours=6)
    article = ArticleFactory(
        headline="Harbour wall repaired before winter storms",
        slug="harbour-wall",
        standfirst="Engineers finished a week early.",
        section=SectionFactory(name="Coast", slug="coast"),
        authors=[
            AuthorFactory(name="Iris Quay", slug="iris-quay"),
            AuthorFactory(name="Tom Reef", slug="tom-reef"),
        ],
        tags=["harbour", "storms"],
        lead_image=ImageFactory(alt_text="The repaired wall at dusk"),
        published_at=published,
    )
    CorrectionFactory(
        article=article,
        text="The wall is 300m long, not 30m.",
        created_at=published + datetime.timedelta(hours=2),
    )
    return article


def test_news_article_json_ld_carries_every_field(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    data = json_ld(html)
    canonical = "http://127.0.0.1:8000" + article.get_absolute_url()
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Harbour wall repaired before winter storms"
    assert data["description"] == "Engineers finished a week early."
    assert data["mainEntityOfPage"]["@id"] == canonical
    assert datetime.datetime.fromisoformat(data["datePublished"]) == article.published_at
    assert datetime.datetime.fromisoformat(data["dateModified"]) >= article.published_at
    assert data["author"] == [
        {"@type": "Person", "name": "Iris Quay", "url": "http://127.0.0.1:8000/author/iris-quay/"},
        {"@type": "Person", "name": "Tom Reef", "url": "http://127.0.0.1:8000/author/tom-reef/"},
    ]
    assert len(data["image"]) == 3
    assert all(url.startswith("http://127.0.0.1:8000/") for url in data["image"])
    assert data["publisher"]["name"] == "The Newsroom Chronicle"
    assert data["publisher"]["logo"]["url"].endswith("/static/img/logo.png")
    assert data["articleSection"] == "Coast"
    assert data["keywords"] == ["harbour", "storms"]
    assert data["correction"][0]["@type"] == "CorrectionComment"
    assert data["correction"][0]["text"] == "The wall is 300m long, not 30m."


def test_json_ld_images_are_the_three_crops_when_renditions_exist(client, article):
    image = article.lead_image
    image.renditions = {
        name: {"url": f"/media/r/{name}.jpg", "width": 1200, "height": 675, "path": f"r/{name}"}
        for name in ("16x9", "4x3", "1x1")
    }
    type(image).objects.filter(pk=image.pk).update(renditions=image.renditions)
    data = json_ld(client.get(article.get_absolute_url()).content.decode())
    assert data["image"] == [
        "http://127.0.0.1:8000/media/r/16x9.jpg",
        "http://127.0.0.1:8000/media/r/4x3.jpg",
        "http://127.0.0.1:8000/media/r/1x1.jpg",
    ]


def test_title_description_canonical_open_graph_and_twitter_card(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    canonical = "http://127.0.0.1:8000" + article.get_absolute_url()
    assert "<title>Harbour wall repaired before winter storms · The Newsroom Chronicle</title>" in (
        html
    )
    assert meta(html, "name", "description") == "Engineers finished a week early."
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert meta(html, "property", "og:type") == "article"
    assert meta(html, "property", "og:title") == "Harbour wall repaired before winter storms"
    assert meta(html, "property", "og:url") == canonical
    assert meta(html, "property", "og:image").startswith("http://127.0.0.1:8000/")
    assert meta(html, "property", "og:image:alt") == "The repaired wall at dusk"
    assert meta(html, "name", "twitter:card") == "summary_large_image"
    assert 'name="robots"' not in html


def test_seo_fields_win_over_headline_and_standfirst(client, article):
    article.seo_title = "Harbour wall fixed"
    article.seo_description = "A short description for search engines."
    article.save()
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<title>Harbour wall fixed · The Newsroom Chronicle</title>" in html
    assert meta(html, "name", "description") == "A short description for search engines."
    assert json_ld(html)["description"] == "A short description for search engines."
    assert "<h1" in html and "Harbour wall repaired before winter storms</h1>" in html


def test_json_ld_cannot_be_broken_out_of_by_article_text(client, db):
    article = ArticleFactory(
        headline="</script><script>alert(1)</script>",
        slug="hostile",
        standfirst="Tom & Jerry <b>bold</b>",
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    data = json_ld(html)
    assert data["headline"] == "</script><script>alert(1)</script>"
    assert data["description"] == "Tom & Jerry <b>bold</b>"


def test_home_page_describes_the_site_and_its_search(client, article):
    html = client.get("/").content.decode()
    data = json_ld(html)
    assert data["@type"] == "WebSite"
    assert data["potentialAction"]["target"].endswith("/search/?q={search_term_string}")
    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in html


def test_search_pages_are_noindex(client, article):
    html = client.get("/search/", {"q": "harbour"}).content.decode()
    assert '<meta name="robots" content="noindex, follow">' in html


def test_preview_context_adds_noindex_and_banner_and_no_json_ld(rf, article):
    from django.template.loader import render_to_string

    from articles.views import article_context

    request = rf.get("/preview/")
    context = article_context(article, request, preview=True) | {"preview": True}
    html = render_to_string("articles/article_detail.html", context, request=request)
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert 'class="preview-banner"' in html
    assert "application/ld+json" not in html
