"""The story body in a real browser: a reporter builds a story with a picture, a gallery
and an embed in the editor, and the preview shows them."""

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
    assert dialog.get_by_label("Alt text (required)").last.input_value() == "Harbour wall at dawn"
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
    page.get_by_role("button", name="Embed a video, post or chart").click()
    dialog = page.locator("dialog.story-dialog[open]")
    dialog.get_by_label("Address of the page").fill("https://elsewhere.example/v/1")
    dialog.get_by_role("button", name="Check").click()
    expect(dialog.locator("[role=alert]")).to_contain_text("not from a provider we embed")
    dialog.get_by_label("Address of the page").fill(oembed_provider.page("abc"))
    dialog.get_by_role("button", name="Check").click()
    dialog.locator(".story-embed-card").wait_for()
    assert "Video clip abc" in dialog.locator(".story-embed-card").inner_text()
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
