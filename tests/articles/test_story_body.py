"""The story body: stored forms survive sanitising exactly, hostile markup never does,
and readers get figures, galleries, pull quotes and embed facades rendered at save."""

import json
import re

import html5lib
import pytest
from django.core.files.base import ContentFile
from django.db.models import ProtectedError

from articles.models import Article, BodyImage, Embed, Image
from articles.richtext import sanitize_body
from tests.articles.desk import post_change
from tests.factories import ArticleFactory, ImageFactory, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def picture(alt="Harbour wall at dawn", **kwargs):
    """A library image big enough to have renditions (srcset)."""
    return ImageFactory(
        alt_text=alt, file=ContentFile(png_bytes(1000, 750), name="picture.png"), **kwargs
    )


def well_formed(markup):
    """html5lib parses it without a single error (no broken markup)."""
    parser = html5lib.HTMLParser(strict=True)
    parser.parseFragment(markup)
    return True


STORED_FORMS = [
    '<figure data-image="12" data-width="inline"></figure>',
    '<figure data-image="12" data-width="wide" data-alt="A wall" data-credit="Ana Ruiz">'
    "<figcaption>The wall &amp; the sea</figcaption></figure>",
    '<figure data-image="7" data-width="full"><figcaption>Caption</figcaption></figure>',
    '<figure data-gallery="3,1,2"><figcaption>Before and after</figcaption></figure>',
    '<figure data-gallery="4,5"></figure>',
    '<figure data-embed="https://www.youtube.com/watch?v=abc&amp;t=3"></figure>',
    '<figure data-embed="https://vimeo.com/123"><figcaption>The launch</figcaption></figure>',
    '<blockquote data-pullquote=""><p>We will rebuild it.</p></blockquote>',
]


@pytest.mark.parametrize("form", STORED_FORMS)
def test_every_stored_form_round_trips_unchanged(form):
    body = f"<p>Before.</p>{form}<p>After.</p>"
    assert sanitize_body(body) == body
    assert sanitize_body(sanitize_body(body)) == body


HOSTILE = {
    "attribute injection": '<figure data-image="1 onerror=alert(1)"></figure>',
    "quote breaking": "<figure data-image='1\" onerror=\"alert(1)'></figure>",
    "script in caption": '<figure data-image="1"><figcaption><script>alert(1)</script>x'
    "</figcaption></figure>",
    "javascript embed": '<figure data-embed="javascript:alert(1)"></figure>',
    "data embed": '<figure data-embed="data:text/html,<script>alert(1)</script>"></figure>',
    "http embed": '<figure data-embed="http://www.youtube.com/watch?v=a"></figure>',
    "embed with quotes": '<figure data-embed="https://x.example/&quot;onload=&quot;alert(1)">'
    "</figure>",
    "nested figures": '<figure data-image="1"><figure data-embed="https://vimeo.com/1">'
    '<figure data-gallery="1,2"></figure></figure></figure>',
    "figure in a list": '<ul><li><figure data-image="1"></figure>item</li></ul>',
    "figure of no kind": "<figure><img src=x onerror=alert(1)>"
    "<figcaption>Text</figcaption></figure>",
    "stray caption": "<figcaption>Loose</figcaption>",
    "bad gallery": '<figure data-gallery="1,two,3"></figure>',
    "bad width": '<figure data-image="1" data-width="huge" style="x"></figure>',
    "event on pull quote": '<blockquote data-pullquote onmouseover="alert(1)">'
    "<p>Q</p></blockquote>",
    "iframe": '<figure data-embed="https://vimeo.com/1"><iframe src="https://evil.example/">'
    "</iframe></figure>",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_body_never_stores_or_renders_executable_or_broken_markup(name, client):
    picture()  # image 1 may or may not exist; either way nothing breaks
    article = ArticleFactory(body=f"<p>Text.</p>{HOSTILE[name]}")
    for markup in (article.body, article.body_html):
        lowered = markup.lower()
        assert "<script" not in lowered and "javascript:" not in lowered
        assert not re.search(r"\son\w+=", lowered)
        assert "<iframe" not in lowered and "style=" not in lowered
        assert "data:text" not in lowered
        assert well_formed(markup)
    assert sanitize_body(article.body) == article.body
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200


def test_nested_figures_keep_only_the_outer_kind():
    body = sanitize_body(HOSTILE["nested figures"])
    assert body.count("<figure") == 1
    assert 'data-image="1"' in body and "data-embed" not in body


def test_an_image_id_that_does_not_exist_renders_nothing_and_saves(client):
    article = ArticleFactory(body='<p>Text.</p><figure data-image="999999"></figure>')
    assert 'data-image="999999"' in article.body  # kept: the editor's work is not lost
    assert "<figure" not in article.body_html
    assert not BodyImage.objects.filter(article=article).exists()
    assert client.get(article.get_absolute_url()).status_code == 200


def test_unknown_provider_is_a_plain_link_for_readers():
    article = ArticleFactory(body='<figure data-embed="https://unknown.example/v/1"></figure>')
    assert '<a href="https://unknown.example/v/1" rel="nofollow noopener">' in article.body_html
    assert "data-embed-load" not in article.body_html
    assert article.body_media == {}


def test_unknown_provider_is_a_form_error_and_the_text_is_kept(client, editor):
    article = ArticleFactory(draft=True)
    client.force_login(editor)
    body = '<p>Mine.</p><figure data-embed="https://unknown.example/v/1"></figure>'
    response = post_change(client, article, body=body)
    assert response.status_code == 200
    assert "not from a provider we embed" in response.content.decode()
    assert "unknown.example" in response.content.decode()
    assert Article.objects.get(pk=article.pk).body != body


def page_html(client, article):
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return response, response.content.decode()


def test_reader_gets_figure_with_srcset_size_alt_caption_and_credit(client):
    wall = picture(caption="Library caption", credit="Library credit")
    article = ArticleFactory(
        body="<p>" + "word " * 80 + "</p>"
        f'<figure data-image="{wall.pk}" data-width="wide" data-alt="The wall, rebuilt">'
        "<figcaption>Our caption</figcaption></figure>"
    )
    _response, html = page_html(client, article)
    figure = re.search(r'<figure class="story-figure story-figure--wide">.*?</figure>', html, re.S)
    assert figure
    img = figure.group(0)
    assert 'alt="The wall, rebuilt"' in img
    assert 'width="1000" height="750"' in img
    assert 'srcset="' in img and "320w" in img and "960w" in img
    assert 'loading="lazy"' in img  # below the first screen
    assert "Our caption" in img and "Photograph: Library credit" in img
    assert "Library caption" not in img


def test_first_picture_on_the_first_screen_is_not_lazy():
    wall = picture()
    article = ArticleFactory(body=f'<p>Short.</p><figure data-image="{wall.pk}"></figure>')
    assert 'loading="lazy"' not in article.body_html


def test_reader_gets_gallery_in_order_and_pull_quote(client):
    first, second, third = picture("First"), picture("Second"), picture("Third")
    article = ArticleFactory(
        body=f'<figure data-gallery="{third.pk},{first.pk},{second.pk}">'
        "<figcaption>Three views</figcaption></figure>"
        '<blockquote data-pullquote=""><p>We will rebuild it.</p></blockquote>'
    )
    _response, html = page_html(client, article)
    gallery = html[html.index('class="story-gallery"') :]
    assert re.findall(r'<img [^>]*alt="(First|Second|Third)"', gallery)[:3] == [
        "Third",
        "First",
        "Second",
    ]
    assert gallery.count("data-gallery-item") == 3
    assert first.largest_url in gallery  # works without JavaScript: a link to the picture
    assert "Three views" in gallery and "3 pictures" in gallery
    assert '<blockquote data-pullquote=""><p>We will rebuild it.</p></blockquote>' in html
    assert "js/story.js" in html


def test_reader_gets_embed_facade_and_frame_src_for_that_page_only(client, oembed_provider):
    article = ArticleFactory(
        body=f'<p>Watch.</p><figure data-embed="{oembed_provider.page("abc")}"></figure>'
    )
    other = ArticleFactory()
    response, html = page_html(client, article)
    facade = html[html.index('class="story-embed"') :]
    assert "Video clip abc" in facade and "Video</span>" in facade
    embed = Embed.objects.get(url=oembed_provider.page("abc"))
    assert embed.thumbnail.url in facade  # our own copy, not the provider's address
    assert oembed_provider.origin not in facade.split("data-frame=")[0]
    assert f'data-frame="{oembed_provider.origin}/frame/abc"' in facade
    assert "<iframe" not in html
    assert f'href="{oembed_provider.page("abc")}"' in facade  # a link without JavaScript
    csp = response["Content-Security-Policy"]
    assert f"frame-src {oembed_provider.origin}" in csp
    assert "script-src 'self'" in csp
    # Another page keeps frames closed; and a cache hit carries the page's own policy.
    assert "frame-src 'none'" in client.get(other.get_absolute_url())["Content-Security-Policy"]
    again = client.get(article.get_absolute_url())
    assert f"frame-src {oembed_provider.origin}" in again["Content-Security-Policy"]


def test_embed_resolved_once_reading_never_asks_the_provider(client, oembed_provider):
    ArticleFactory(body=f'<figure data-embed="{oembed_provider.page("abc")}"></figure>')
    asked = len(oembed_provider.requests)
    assert asked == 2  # the oEmbed answer and the thumbnail, when saved
    article = ArticleFactory(body=f'<figure data-embed="{oembed_provider.page("abc")}"></figure>')
    client.get(article.get_absolute_url())
    assert len(oembed_provider.requests) == asked


def test_provider_that_does_not_answer_leaves_a_plain_link(oembed_provider):
    article = ArticleFactory(body=f'<figure data-embed="{oembed_provider.page("down1")}"></figure>')
    embed = Embed.objects.get(url=oembed_provider.page("down1"))
    assert embed.status == Embed.Status.FAILED and "503" in embed.error
    assert (
        f'<a href="{oembed_provider.page("down1")}" rel="nofollow noopener">' in article.body_html
    )
    assert "frames" not in article.body_media


def test_structured_data_lists_the_body_pictures(client):
    lead, inline = picture("Lead"), picture("Inline")
    article = ArticleFactory(lead_image=lead, body=f'<figure data-image="{inline.pk}"></figure>')
    _response, html = page_html(client, article)
    data = json.loads(re.search(r'application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["image"][-1].endswith(inline.rendition_url("w1280"))
    assert any(url.endswith(lead.rendition_url("16x9")) for url in data["image"])


def test_changed_picture_renders_the_bodies_that_show_it_again():
    wall = picture(alt="Old words")
    article = ArticleFactory(body=f'<figure data-image="{wall.pk}"></figure>')
    version = article.version
    wall.alt_text = "New words"
    wall.save()
    article.refresh_from_db()
    assert 'alt="New words"' in article.body_html
    assert article.version == version  # an editor's open form is not made stale


def test_picture_shown_in_a_body_cannot_be_deleted():
    wall = picture()
    ArticleFactory(body=f'<figure data-gallery="{wall.pk},{picture().pk}"></figure>')
    with pytest.raises(ProtectedError):
        wall.delete()
    assert Image.objects.filter(pk=wall.pk).exists()


def test_removing_a_picture_from_the_body_releases_it():
    wall = picture()
    article = ArticleFactory(body=f'<figure data-image="{wall.pk}"></figure>')
    article.body = "<p>No pictures now.</p>"
    article.save()
    assert not BodyImage.objects.filter(image=wall).exists()
    wall.delete()


def heavy_body(provider):
    figures = "".join(
        f'<p>Paragraph {n} of the story.</p><figure data-image="{picture(f"Figure {n}").pk}">'
        "</figure>"
        for n in range(5)
    )
    gallery = ",".join(str(picture(f"Gallery {n}").pk) for n in range(12))
    embeds = "".join(
        f'<figure data-embed="{provider.page(f"clip{n}")}"></figure>' for n in range(3)
    )
    return f'{figures}<figure data-gallery="{gallery}"></figure>{embeds}'


def test_full_render_of_a_rich_article_costs_the_queries_of_a_text_only_one(
    client, oembed_provider, settings, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.PAGE_CACHE_SECONDS = 0
    settings.FRAGMENT_CACHE_SECONDS = 0
    rich = ArticleFactory(body=heavy_body(oembed_provider))
    assert rich.body_html.count("story-figure--") == 5
    assert rich.body_html.count("data-gallery-item") == 12
    assert rich.body_html.count("data-embed-load") == 3
    plain = ArticleFactory(body="<p>Only text.</p>" * 20)
    for article in (plain, rich):  # per-process caches and the related stories' ids warm
        client.get(article.get_absolute_url())
    counts = {}
    for name, article in (("plain", plain), ("rich", rich)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(article.get_absolute_url()).status_code == 200
        counts[name] = len(queries)
    assert counts["rich"] == counts["plain"], counts
