"""The story body in a real browser: a reporter builds a story with a picture, a gallery
and an embed in the editor, and the preview shows them."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Article, Embed
from tests.e2e.conftest import login
from tests.factories import ImageFactory, SectionFactory, UserFactory, png_bytes

pytestmark = pytest.mark.e2e


def library():
    from django.core.files.base import ContentFile

    def image(alt, color, **kwargs):
        return ImageFactory(
            alt_text=alt,
            file=ContentFile(png_bytes(800, 600, color), name="picture.png"),
            **kwargs,
        )

    return [
        image(
            "Harbour wall at dawn",
            (30, 60, 90),
            caption="The wall before the storm",
            credit="Ana Ruiz",
        ),
        image("Fishing boats in the harbour", (90, 60, 30)),
        image("Crowd at the council meeting", (60, 90, 30)),
    ]


def test_reporter_inserts_picture_gallery_and_embed_and_preview_shows_them(
    page, artifacts, roles, oembed_provider
):
    UserFactory(username="reporter", groups=["Reporter"])
    SectionFactory(name="News", slug="news")
    wall, boats, crowd = library()

    login(page, "reporter")
    page.goto("/admin/articles/article/add/")
    page.fill("#id_headline", "Harbour wall to be rebuilt")
    page.locator("#id_slug").click()
    editor = page.locator(".ProseMirror[contenteditable=true]")
    editor.click()
    page.keyboard.type("The council agreed the repairs on Tuesday.")

    # An inline picture from the library, found by its alt text, wide.
    page.get_by_role("button", name="Insert a picture").click()
    dialog = page.locator("dialog.story-dialog[open]")
    dialog.get_by_label("Search the picture library").fill("harbour wall")
    dialog.get_by_role("button", name="Search", exact=True).click()
    dialog.locator(f"[data-image-id='{wall.pk}']").click()
    expect(dialog.get_by_label("Alt text (required)").last).to_have_value("Harbour wall at dawn")
    dialog.get_by_label("Wider than the text").check()
    page.screenshot(path=str(artifacts / "story-image-dialog.png"))
    dialog.get_by_role("button", name="Insert").click()
    expect(editor.locator(".story-node img")).to_have_count(1)

    # A gallery of two, in the order chosen.
    page.get_by_role("button", name="Insert a gallery").click()
    dialog = page.locator("dialog.story-dialog[open]")
    dialog.locator(f".story-results [data-image-id='{crowd.pk}']").click()
    dialog.locator(f".story-results [data-image-id='{boats.pk}']").click()
    dialog.get_by_role("button", name="Insert").click()

    # An embed: an address of a provider that is not allowed is refused with the reason.
    # Leaving the address field and pressing Check both ask about the address: it is
    # asked about once (two requests could answer out of order, a late failure last).
    asked = []
    page.on(
        "request",
        lambda request: (
            asked.append(request.post_data) if request.url.endswith("/body/embed/") else None
        ),
    )
    page.get_by_role("button", name="Embed a video, post or chart").click()
    dialog = page.locator("dialog.story-dialog[open]")
    dialog.get_by_label("Address of the page").fill("https://elsewhere.example/v/1")
    dialog.get_by_role("button", name="Check").click()
    expect(dialog.locator("[role=alert]")).to_contain_text("not from a provider we embed")
    dialog.get_by_label("Address of the page").fill(oembed_provider.page("abc"))
    dialog.get_by_role("button", name="Check").click()
    dialog.locator(".story-embed-card").wait_for()
    assert "Video clip abc" in dialog.locator(".story-embed-card").inner_text()
    assert len(asked) == 2, asked  # the refused address, then the provider's
    page.screenshot(path=str(artifacts / "story-embed-dialog.png"))
    dialog.get_by_role("button", name="Insert").click()
    editor.locator(".story-node .story-embed-card").wait_for()
    page.screenshot(path=str(artifacts / "story-editor.png"), full_page=True)

    kinds = editor.locator(":scope > *").evaluate_all(
        "els => els.map(e => e.querySelector('.story-node-label')?.textContent || e.tagName)"
    )
    figures = [kind for kind in kinds if kind != "P"]
    assert kinds[0] == "P" and figures == ["Picture (wide)", "Gallery of 2 pictures", "Embed"]
    page.click("input[name=_continue]")
    page.wait_for_url("**/change/")
    article = Article.objects.get(slug="harbour-wall-to-be-rebuilt")
    assert article.body.index(f'data-image="{wall.pk}"') < article.body.index("data-gallery")
    assert f'data-gallery="{crowd.pk},{boats.pk}"' in article.body
    assert f'data-embed="{oembed_provider.page("abc")}"' in article.body
    assert Embed.objects.get(url=oembed_provider.page("abc")).is_resolved
    assert set(article.body_images.values_list("pk", flat=True)) == {wall.pk, boats.pk, crowd.pk}

    page.goto(f"/preview/{article.pk}/")
    figure = page.locator(".story-body .story-figure--wide img")
    assert figure.get_attribute("alt") == "Harbour wall at dawn"
    assert figure.get_attribute("srcset")
    alts = page.locator(".story-gallery .gallery-grid img").evaluate_all(
        "els => els.map(e => e.alt)"
    )
    assert alts == ["Crowd at the council meeting", "Fishing boats in the harbour"]
    assert page.locator(".story-embed .embed-title").inner_text() == "Video clip abc"
    assert page.locator(".story-embed iframe").count() == 0
    page.screenshot(path=str(artifacts / "story-preview.png"), full_page=True)


# -- Readers ------------------------------------------------------------------------


@pytest.fixture
def providers(settings):
    """Three oEmbed providers, each a real server on its own loopback port."""
    from tests.oembed import LocalProvider

    with (
        LocalProvider("video") as video,
        LocalProvider("audio") as audio,
        LocalProvider("chart") as chart,
    ):
        settings.EMBED_PROVIDERS = [video.config(), audio.config(), chart.config()]
        settings.EMBED_ALLOW_PRIVATE = True
        yield [video, audio, chart]


@pytest.fixture
def rich_story(transactional_db, settings, providers):
    from articles.models import RelatedLink, Series
    from tests.factories import ArticleFactory

    settings.PAGE_CACHE_SECONDS = 0
    wall, boats, crowd = library()
    video, audio, chart = providers
    harbour = Series.objects.create(title="Rebuilding the harbour", slug="harbour")
    ArticleFactory(headline="The storm", series=harbour, series_position=1)
    body = (
        "<p>The council agreed the repairs on Tuesday, after a long debate.</p>"
        f'<figure data-image="{wall.pk}" data-width="inline"></figure>'
        "<p>Work starts in March.</p>"
        '<blockquote data-pullquote=""><p>We will rebuild it stronger.</p></blockquote>'
        f'<figure data-image="{boats.pk}" data-width="wide"><figcaption>Boats wait'
        "</figcaption></figure>"
        f'<figure data-gallery="{crowd.pk},{wall.pk},{boats.pk}"><figcaption>The meeting'
        "</figcaption></figure>"
        f'<figure data-embed="{video.page("v1")}"></figure>'
        "<p>Listen to the debate, and see the costs.</p>"
        f'<figure data-embed="{audio.page("a1")}"><figcaption>The debate</figcaption></figure>'
        f'<figure data-embed="{chart.page("c1")}"></figure>'
        f'<figure data-image="{crowd.pk}" data-width="full"></figure>'
    )
    story = ArticleFactory(
        headline="Harbour wall to be rebuilt", body=body, series=harbour, series_position=2
    )
    RelatedLink.objects.create(
        article=story, position=0, url="https://archive.example/1953", title="The 1953 flood"
    )
    for provider in providers:
        provider.requests.clear()  # what saving asked; readers must ask nothing
    return story


def test_embeds_send_nothing_to_any_provider_until_the_reader_asks(
    browser, live_server, rich_story, providers
):
    from urllib.parse import urlsplit

    video, audio, chart = providers
    site = urlsplit(live_server.url).netloc
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        response = page.goto(rich_story.get_absolute_url(), wait_until="networkidle")
        csp = response.headers["content-security-policy"]
        frame_src = re.search(r"frame-src ([^;]+)", csp).group(1).split()
        assert sorted(frame_src) == sorted(p.origin for p in providers)
        elsewhere = [url for url in requested if urlsplit(url).netloc != site]
        assert elsewhere == [], elsewhere
        assert all(provider.requests == [] for provider in providers)
        assert page.locator("iframe").count() == 0
        assert page.locator("[data-embed-load]").count() == 3
        thumbnail = page.locator(".embed-link img").first
        thumbnail.scroll_into_view_if_needed()
        expect(thumbnail).to_have_js_property("complete", True)
        assert thumbnail.evaluate("img => img.naturalWidth") == 480  # our copy, from the site
        page.wait_for_load_state("networkidle")
        elsewhere = [url for url in requested if urlsplit(url).netloc != site]
        assert elsewhere == [], elsewhere

        page.get_by_role("button", name="Load Audio clip a1 from Audio").click()
        frame = page.locator("iframe.embed-frame")
        expect(frame).to_have_count(1)
        assert frame.get_attribute("src") == f"{audio.origin}/frame/a1"
        assert frame.get_attribute("title") == "Audio: Audio clip a1"
        expect(frame).to_be_focused()
        page.frame_locator("iframe.embed-frame").locator("p").wait_for()
        assert audio.requests == ["/frame/a1"]
        assert video.requests == [] and chart.requests == []
        others = {urlsplit(url).netloc for url in requested} - {site}
        assert others == {urlsplit(audio.origin).netloc}
    finally:
        context.close()


def test_without_javascript_an_embed_is_a_plain_link_and_a_gallery_a_grid(
    browser, live_server, rich_story, providers
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(rich_story.get_absolute_url())
        assert not page.get_by_role("button", name=re.compile("^Load")).first.is_visible()
        link = page.get_by_role("link", name="Video Video clip v1")
        assert link.get_attribute("href") == providers[0].page("v1")
        assert page.locator(".gallery-grid a").count() == 3
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_article_with_every_node_passes_axe(
    browser, live_server, rich_story, artifacts, scheme, viewport
):
    from tests.e2e.test_reader import DESKTOP, PHONE, check_accessibility

    size = PHONE if viewport == "phone" else DESKTOP
    context = browser.new_context(
        base_url=live_server.url, viewport=size, color_scheme=scheme, is_mobile=viewport == "phone"
    )
    page = context.new_page()
    try:
        page.goto(rich_story.get_absolute_url())
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the story scrolls sideways by {overflow}px"
        check_accessibility(page, f"story ({scheme}, {viewport})")
        page.screenshot(path=str(artifacts / f"story-{viewport}-{scheme}.png"), full_page=True)
        page.locator(".story-gallery a").first.click()
        page.locator("dialog.gallery-viewer[open]").wait_for()
        check_accessibility(page, f"gallery viewer ({scheme}, {viewport})")
    finally:
        context.close()


def tab_to(page, locator, limit=80):
    """Press Tab until `locator` has the focus (as a keyboard user gets there)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError("never reached by Tab")


def test_gallery_and_load_button_work_by_keyboard(page, rich_story):
    page.goto(rich_story.get_absolute_url())
    first = page.locator(".story-gallery a").first
    tab_to(page, first)
    page.keyboard.press("Enter")
    viewer = page.locator("dialog.gallery-viewer[open]")
    count = viewer.locator(".gallery-viewer-count")
    expect(count).to_have_text("Picture 1 of 3")
    expect(viewer.locator("img")).to_have_attribute("alt", "Crowd at the council meeting")
    page.keyboard.press("ArrowRight")
    expect(count).to_have_text("Picture 2 of 3")
    page.keyboard.press("Enter")  # on "Next", which has the focus
    expect(count).to_have_text("Picture 3 of 3")
    expect(viewer.locator("img")).to_have_attribute("alt", "Fishing boats in the harbour")
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    # The focus goes back on the dialog's "close" event, which the browser fires
    # as a task of its own after the dialog has closed: wait for it.
    expect(page.locator(".story-gallery a").nth(2)).to_be_focused()

    load = page.locator("[data-embed-load]").first
    tab_to(page, load)
    page.keyboard.press("Enter")
    expect(page.locator("iframe.embed-frame")).to_have_count(1)
