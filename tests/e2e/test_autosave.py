"""Autosave in Chromium (issue 16, item 1): a reporter types in the body editor, the page
closes, and reopening the story offers the text back with a diff; with the network cut
the text stays in the browser across a reload; leaving with unsaved changes asks first."""

import json
import re

import pytest
from playwright.sync_api import expect

from articles.models import Autosave
from tests.e2e.conftest import login
from tests.e2e.test_reader import AXE, WCAG
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.e2e

BANNER = "section[aria-labelledby=desk-autosave-title]"
EDITOR = ".ProseMirror[contenteditable=true]"


@pytest.fixture
def draft(roles):
    reporter = UserFactory(username="reporter", groups=["Reporter"])
    return ArticleFactory(
        draft=True,
        created_by=reporter,
        headline="Harbour wall to be rebuilt",
        slug="harbour-wall",
        body="<p>The council agreed the repairs on Tuesday.</p>",
    )


def open_form(page, article):
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.locator(EDITOR).wait_for()


def type_at_end(page, text):
    page.locator(EDITOR).click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def autosave_carrying(*texts):
    """A predicate for expect_response: an autosave request that carried all of `texts`.
    The page sends the form as it is every few seconds, so one send may go out between
    two edits, and its "Draft kept at" is no proof the server has the second."""

    def carrying(response):
        request = response.request
        return (
            request.method == "POST"
            and response.url.endswith("/autosave/")
            and all(text in (request.post_data or "") for text in texts)
        )

    return carrying


def kept_on_server(article):
    row = Autosave.objects.filter(article=article).first()
    return row.data if row else {}


def axe_on(page, selector):
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "([selector, tags]) => axe.run(selector, {runOnly: {type: 'tag', values: tags}})",
        [selector, WCAG],
    )
    assert result["passes"], "axe-core ran no checks"
    assert not result["violations"], [v["id"] for v in result["violations"]]


def test_typed_text_survives_closing_the_page_and_is_restored(
    browser, live_server, page, draft, artifacts
):
    login(page, "reporter")
    open_form(page, draft)
    assert page.locator(BANNER).is_hidden()  # nothing to offer yet
    # Within a few seconds the server has it too (both edits, in one send).
    with page.expect_response(
        autosave_carrying("Work starts in March.", "Harbour wall rebuilt by spring")
    ):
        type_at_end(page, " Work starts in March.")
        page.fill("#id_headline", "Harbour wall rebuilt by spring")
    page.locator("[data-autosave-status]").filter(has_text="Draft kept at").wait_for()
    page.screenshot(path=str(artifacts / "autosave-status.png"), full_page=False)
    kept = kept_on_server(draft)
    assert "Work starts in March." in kept["body"]
    assert kept["headline"] == "Harbour wall rebuilt by spring"
    page.close()  # the tab is closed: nothing was saved
    draft.refresh_from_db()
    assert draft.headline == "Harbour wall to be rebuilt"
    assert "March" not in draft.body

    # Reopened on another computer (a new browser context): the server's copy is offered.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    again = context.new_page()
    errors = []
    again.on("pageerror", lambda error: errors.append(str(error)))
    login(again, "reporter")
    open_form(again, draft)
    banner = again.locator(BANNER)
    banner.wait_for()
    assert re.fullmatch(
        r"Restore the text you were writing at \d\d:\d\d\?",
        banner.get_by_role("heading", level=2).inner_text().strip(),
    )
    assert again.get_by_role("region", name=re.compile("Restore the text")).is_visible()
    assert banner.locator("ins", has_text="March.").count() == 1
    assert banner.locator("del", has_text="be").count() == 1  # the headline's changed word
    again.screenshot(path=str(artifacts / "autosave-offer-desktop.png"), full_page=False)
    axe_on(again, "#desk-autosave")
    # Buttons are buttons, reachable by keyboard with a visible focus.
    restore = banner.get_by_role("button", name="Restore")
    restore.focus()
    again.keyboard.press("Shift+Tab")
    again.keyboard.press("Tab")
    expect(restore).to_be_focused()
    outline = restore.evaluate("(b) => getComputedStyle(b).outlineStyle")
    assert outline != "none"
    again.emulate_media(color_scheme="dark")
    again.screenshot(path=str(artifacts / "autosave-offer-dark.png"), full_page=False)
    axe_on(again, "#desk-autosave")
    again.emulate_media(color_scheme="light")
    again.set_viewport_size({"width": 390, "height": 844})
    again.screenshot(path=str(artifacts / "autosave-offer-phone.png"), full_page=False)
    assert again.evaluate("document.documentElement.scrollWidth") <= 390

    again.keyboard.press("Enter")  # Restore, from the keyboard
    expect(banner).to_be_hidden()
    expect(again.locator(EDITOR)).to_contain_text("Work starts in March.", use_inner_text=True)
    expect(again.locator("#id_headline")).to_have_value("Harbour wall rebuilt by spring")
    # Saving asks nothing and spends the autosave. The form comes back at its own address,
    # which wait_for_url alone would take for the page before the save.
    with again.expect_navigation():
        again.click("input[name=_continue]")
    again.wait_for_url(f"**/admin/articles/article/{draft.pk}/change/")
    draft.refresh_from_db()
    assert "Work starts in March." in draft.body
    assert draft.headline == "Harbour wall rebuilt by spring"
    assert not Autosave.objects.filter(article=draft).exists()
    assert again.locator(BANNER).is_hidden()
    assert (
        again.evaluate("Object.keys(localStorage).filter(k => k.startsWith('newsroom-autosave'))")
        == []
    )
    context.close()
    assert not errors, errors


def test_with_the_network_cut_the_text_survives_a_reload(page, draft):
    login(page, "reporter")
    open_form(page, draft)
    page.context.set_offline(True)
    type_at_end(page, " Typed on the train with no signal.")
    page.locator("[data-autosave-status]").filter(has_text="Offline").wait_for(timeout=12_000)
    assert "train" not in kept_on_server(draft).get("body", "")
    # The server never hears of it, even once the network is back for the reload.
    page.route("**/autosave/", lambda route: route.abort())
    page.context.set_offline(False)
    page.on("dialog", lambda dialog: dialog.accept())  # "Leave the page?" — yes
    page.reload()
    page.locator(EDITOR).wait_for()
    banner = page.locator(BANNER)
    banner.wait_for()
    assert banner.locator("ins", has_text="train").count() == 1
    banner.get_by_role("button", name="Restore").click()
    expect(page.locator(EDITOR)).to_contain_text(
        "Typed on the train with no signal.", use_inner_text=True
    )
    assert "train" not in kept_on_server(draft).get("body", "")


def test_leaving_with_unsaved_changes_asks_first_but_saving_does_not(page, draft):
    login(page, "reporter")
    open_form(page, draft)
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay

    page.on("dialog", answer)
    page.close(run_before_unload=True)  # unchanged: leaves without asking
    assert dialogs == []

    page = page.context.new_page()
    page.on("dialog", answer)
    open_form(page, draft)
    type_at_end(page, " One more line.")
    with page.expect_event("dialog"):  # asked as the page closes, however long that takes
        page.close(run_before_unload=True)
    assert dialogs == ["beforeunload"]
    assert not page.is_closed()  # dismissed: the writer stays with the text

    with page.expect_navigation():  # the form comes back at its own address
        page.click("input[name=_continue]")
    page.wait_for_url(f"**/admin/articles/article/{draft.pk}/change/")
    assert dialogs == ["beforeunload"]  # a submit is not asked about
    draft.refresh_from_db()
    assert "One more line." in draft.body


def test_a_save_waits_for_the_autosave_on_its_way(page, draft):
    """An autosave sent just before the writer saves could reach the server after the
    save and bring back the autosave the save spent: the save goes once it is answered."""
    login(page, "reporter")
    held, order = [], []

    def hold(route):
        order.append("autosave sent")
        held.append(route)

    page.route("**/autosave/", hold)
    page.on(
        "requestfinished",
        lambda request: (
            order.append("autosave answered") if request.url.endswith("/autosave/") else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            order.append("save sent")
            if request.method == "POST" and request.url.endswith(f"/{draft.pk}/change/")
            else None
        ),
    )
    open_form(page, draft)
    type_at_end(page, " Saved while a copy was on its way.")
    for _ in range(400):  # the page sends every 5 s
        if held:
            break
        page.wait_for_timeout(25)
    assert held, "no autosave was sent"

    page.click("input[name=_continue]")
    held[0].continue_()
    page.wait_for_url(f"**/admin/articles/article/{draft.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert order == ["autosave sent", "autosave answered", "save sent"], order
    draft.refresh_from_db()
    assert "Saved while a copy was on its way." in draft.body
    assert not Autosave.objects.filter(article=draft).exists()


def test_the_diff_shows_what_was_typed_as_text_never_as_markup(page, draft):
    hostile = '<img src=x onerror="window.pwned=1">Storm'
    Autosave.objects.create(
        user=draft.created_by,
        article=draft,
        data={"headline": hostile, "body": "<p>Calm.</p><script>window.pwned=2</script>"},
    )
    login(page, "reporter")
    open_form(page, draft)
    banner = page.locator(BANNER)
    banner.wait_for()
    assert hostile in banner.locator("[data-autosave-diff] ins").first.inner_text()
    assert banner.locator("img, script").count() == 0
    assert page.evaluate("window.pwned") is None
    with page.expect_response("**/autosave/"):
        banner.get_by_role("button", name="Discard").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#id_headline")).to_have_value("Harbour wall to be rebuilt")
    # Discarded: the server's copy is the saved text now, and is not offered again.
    assert kept_on_server(draft)["headline"] == "Harbour wall to be rebuilt"
    page.reload()
    page.locator(EDITOR).wait_for()
    assert page.locator(BANNER).is_hidden()


def test_the_add_form_keeps_a_new_story_until_it_is_saved(page, roles):
    UserFactory(username="reporter", groups=["Reporter"])
    login(page, "reporter")
    page.goto("/admin/articles/article/add/")
    page.locator(EDITOR).wait_for()
    page.fill("#id_headline", "Ferry timetable changes")
    type_at_end(page, "Boats leave earlier from Monday.")
    page.locator("[data-autosave-status]").filter(has_text="Draft kept at").wait_for()
    row = Autosave.objects.get(article=None)
    assert row.data["headline"] == "Ferry timetable changes"
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/admin/articles/article/add/")
    page.locator(BANNER).wait_for()
    page.locator(BANNER).get_by_role("button", name="Restore").click()
    expect(page.locator("#id_headline")).to_have_value("Ferry timetable changes")
    page.locator("#id_slug").fill("ferry-timetable")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/articles/article/")
    assert not Autosave.objects.exists()
    stored = json.loads(page.evaluate("JSON.stringify(Object.keys(localStorage))"))
    assert not [key for key in stored if key.startswith("newsroom-autosave")]
    page.goto("/admin/articles/article/add/")
    page.locator(EDITOR).wait_for()
    assert page.locator(BANNER).is_hidden()  # the saved story is not offered again
