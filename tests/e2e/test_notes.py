"""Notes in Chromium: an editor leaves a note mentioning a reporter from the side panel
of the change form, the reporter is told, the note is resolved and folds away; the panel
sits beside the form on a desktop and under it on a phone, fits both, and axe-core finds
nothing wrong with it in light or dark."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import EditorialNote, Notification
from tests.e2e.conftest import login
from tests.e2e.test_reader import AXE, WCAG
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def story(roles):
    UserFactory(username="editor", first_name="Edith", last_name="Stone", groups=["Editor"])
    reporter = UserFactory(username="ana", first_name="Ana", last_name="Ruiz", groups=["Reporter"])
    return ArticleFactory(draft=True, created_by=reporter, headline="Ferry strike talks resume")


def axe_on_the_panel(page, label):
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "(tags) => axe.run({include: ['#desk-notes']}, {runOnly: {type: 'tag', values: tags}})",
        WCAG,
    )
    assert result["passes"], "axe-core ran no checks"
    violations = [
        f"{v['id']}: {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert not violations, f"{label}: {violations}"


def layout(page):
    """Where the form and the panel are, measured at one moment (the page's scripts
    may still be changing it)."""
    return page.evaluate(
        """() => {
            const form = document.querySelector('#content-main').getBoundingClientRect();
            const panel = document.querySelector('#desk-notes').getBoundingClientRect();
            return {form: form.toJSON(), panel: panel.toJSON()};
        }"""
    )


def no_sideways_scroll(page):
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_an_editor_notes_a_mention_and_resolves_it_from_the_change_form(page, story, artifacts):
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, "editor")
    page.goto(f"/admin/articles/article/{story.pk}/change/")
    panel = page.locator("#desk-notes")
    assert "No notes yet." in panel.inner_text()

    page.get_by_label("Add a note").fill("@ana can you check the union's figures?")
    page.evaluate("window.scrollTo(0, 300)")
    with page.expect_navigation():
        page.get_by_role("button", name="Add note").click()
    assert page.url.endswith(f"/{story.pk}/change/#desk-notes")
    # Back at the panel, in view.
    top = panel.bounding_box()["y"]
    assert 0 <= top < 900 / 2, top
    assert "The note is added. Told: @ana." in page.locator(".messagelist").inner_text()
    mention = panel.locator("mark.desk-note-mention")
    assert mention.inner_text() == "@ana" and mention.get_attribute("title") == "Ana Ruiz"
    assert panel.locator(".desk-notes-count").inner_text() == "1 open"

    # On a desktop the panel is beside the form, and nothing scrolls sideways. Measured
    # from the top of the page: the panel is sticky, so wherever the browser left the
    # page after the jump to #desk-notes (it may keep the scroll of the page the button
    # was on), the panel sits 12 px from the top of the window and the form anywhere.
    page.evaluate("window.scrollTo(0, 0)")
    boxes = layout(page)
    assert boxes["panel"]["left"] >= boxes["form"]["right"] - 1
    assert boxes["panel"]["top"] < boxes["form"]["top"] + 200
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "notes-desktop.png"))
    # Further down the story, the notes are still in view.
    page.evaluate("window.scrollTo(0, 1400)")
    top = panel.bounding_box()["y"]
    assert 0 <= top <= 20, top
    page.screenshot(path=str(artifacts / "notes-desktop-scrolled.png"))
    page.evaluate("window.scrollTo(0, 0)")

    with page.expect_navigation():
        panel.get_by_role("button", name="Resolve").click()
    assert "The note is resolved." in page.locator(".messagelist").inner_text()
    folded = panel.locator("details.desk-note-folded")
    assert folded.is_visible() and not folded.evaluate("el => el.open")
    assert not panel.locator(".desk-note-text").is_visible()  # folded away
    folded.locator("summary").click()
    # (innerText: what a closed <details> folds away is in its textContent all along.)
    expect(folded).to_contain_text("Resolved by Edith Stone", use_inner_text=True)
    expect(panel.get_by_role("button", name="Reopen")).to_be_visible()
    axe_on_the_panel(page, "desktop, light")

    # A note left on the wrong story is deleted by its writer, after a confirmation.
    page.get_by_label("Add a note").fill("Wrong story, sorry.")
    with page.expect_navigation():
        page.get_by_role("button", name="Add note").click()
    wrong = panel.locator(".desk-note", has_text="Wrong story, sorry.")
    with page.expect_navigation():
        wrong.get_by_role("link", name="Delete this note").click()
    expect(page.locator("h1")).to_have_text("Delete this note?")
    expect(page.locator("blockquote")).to_have_text("Wrong story, sorry.")
    page.screenshot(path=str(artifacts / "notes-delete-confirmation.png"))
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, delete the note").click()
    expect(page.locator(".messagelist")).to_contain_text("The note is deleted.")
    expect(panel.locator(".desk-note")).to_have_count(1)

    # The database is read once the page (and its presence heartbeat) is gone: SQLite's
    # shared test database allows one thread at a time.
    page.goto("about:blank")
    note = EditorialNote.objects.get()
    assert note.text == "@ana can you check the union's figures?"
    assert note.resolved_by.username == "editor"
    assert list(Notification.objects.values_list("recipient__username", "verb")) == [
        ("ana", "mentioned")
    ]


def test_typing_an_at_offers_the_people_to_mention(page, story, artifacts):
    UserFactory(username="ravi", first_name="Ravi", last_name="Anand", groups=["Reporter"])
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, "editor")
    page.goto(f"/admin/articles/article/{story.pk}/change/")
    note = page.get_by_role("textbox", name="Add a note")
    listbox = page.get_by_role("listbox", name="People to mention")
    options = listbox.get_by_role("option")
    status = page.locator(".desk-note-form [role=status]")
    expect(listbox).to_be_hidden()

    # "@a": Ana by her username, Ravi by his surname; Edith Stone (@editor) is not offered.
    note.press_sequentially("Can @a")
    expect(options).to_have_text(["@ana Ana Ruiz", "@ravi Ravi Anand"])
    expect(note).to_have_attribute("aria-controls", "id_note-text-mentions")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(note).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    expect(status).to_have_text("2 people to mention: up and down to choose, Enter to write it.")
    page.screenshot(path=str(artifacts / "notes-mention-offered.png"))
    axe_on_the_panel(page, "mentions offered, light")
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(artifacts / "notes-mention-offered-dark.png"))
    axe_on_the_panel(page, "mentions offered, dark")
    page.emulate_media(color_scheme="light")

    # The arrows go round; Enter writes the chosen one in place of what was typed.
    note.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    note.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    note.press("ArrowUp")
    note.press("ArrowUp")
    note.press("Enter")
    expect(note).to_have_value("Can @ana ")
    expect(listbox).to_be_hidden()
    expect(note).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(note).to_be_focused()

    # Tab writes it too, and keeps the focus in the note; a surname finds Ravi.
    note.press_sequentially("check the figures with @Ana")
    expect(options).to_have_text(["@ana Ana Ruiz", "@ravi Ravi Anand"])
    note.press("ArrowDown")
    note.press("Tab")
    expect(note).to_have_value("Can @ana check the figures with @ravi ")
    expect(note).to_be_focused()

    # A name nobody has is said, not offered; an e-mail address offers nothing.
    note.press_sequentially("and @zz")
    expect(listbox).to_be_hidden()
    expect(status).to_have_text("Nobody on the desk is called @zz.")
    note.press_sequentially(" or press@ed")
    expect(listbox).to_be_hidden()
    # Escape closes the list and leaves the text as typed.
    note.press_sequentially(" @ed")
    expect(options).to_have_text(["@editor Edith Stone"])
    note.press("Escape")
    expect(listbox).to_be_hidden()
    expect(note).to_have_value("Can @ana check the figures with @ravi and @zz or press@ed @ed")

    # A click on a person writes them too.
    note.fill("")
    note.press_sequentially("thanks @")
    expect(options).to_have_count(3)
    options.filter(has_text="Ravi Anand").click()
    expect(note).to_have_value("thanks @ravi ")
    expect(note).to_be_focused()

    note.fill("Can @a")
    note.press_sequentially("n")
    note.press("Enter")
    note.press_sequentially("check the figures with @rav")
    note.press("Enter")
    expect(note).to_have_value("Can @ana check the figures with @ravi ")
    with page.expect_navigation():
        page.get_by_role("button", name="Add note").click()
    expect(page.locator(".messagelist")).to_contain_text("Told: @ana, @ravi.")
    page.goto("about:blank")
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "ana",
        "ravi",
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_panel_fits_a_phone_under_the_form(browser, live_server, story, artifacts, scheme):
    EditorialNote.objects.create(
        article=story,
        author=story.created_by,
        text="Waiting for the port authority's statement; @editor will you chase it?",
    )
    resolved = EditorialNote.objects.create(
        article=story, author=story.created_by, text="Photo desk has the picture."
    )
    resolved.resolve(by=story.created_by)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        color_scheme=scheme,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        login(page, "ana")
        page.goto(f"/admin/articles/article/{story.pk}/change/")
        panel = page.locator("#desk-notes")
        boxes = layout(page)
        assert boxes["panel"]["top"] >= boxes["form"]["bottom"] - 1  # under the form
        assert boxes["panel"]["left"] >= 0 and boxes["panel"]["right"] <= 390
        assert no_sideways_scroll(page)
        panel.screenshot(path=str(artifacts / f"notes-phone-{scheme}.png"))
        axe_on_the_panel(page, f"phone, {scheme}")
    finally:
        context.close()
