"""The desk's own pages in Chromium (issue 16, item 9): axe-core finds no WCAG 2.2 AA
violation on the dashboard, the article list, the add and change forms, the budget and
the image library, on a phone and a desktop, light and dark; a keyboard walk of the
article form, on a desktop and a phone, stops only on controls with a visible focus
indicator; the dashboard uses
the width of a wide screen and no admin page asks for something that is not there."""

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageChops
from playwright.sync_api import expect

from articles import presence
from articles.models import Article, Autosave, EditorialNote, LiveUpdate
from tests.e2e.conftest import login
from tests.e2e.test_reader import DESKTOP, PHONE, check_accessibility
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
    UserFactory,
    png_bytes,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(transactional_db, roles):
    """An editor's desk on a working day: stories in every status, some assigned and due,
    a picture library, bylines."""
    editor = UserFactory(username="editor", first_name="Ana", last_name="Ruiz", groups=["Editor"])
    reporter = UserFactory(username="reporter", first_name="Ben", last_name="Cole")
    news = SectionFactory(name="News", slug="news")
    sport = SectionFactory(name="Sport", slug="sport", position=1)
    ada = AuthorFactory(name="Ada Reed", slug="ada-reed", user=editor)
    ben = AuthorFactory(name="Ben Cole", slug="ben-cole", user=reporter)
    pictures = [
        ImageFactory(
            file=ContentFile(png_bytes(640, 360, (40, 90 + n * 30, 140)), name=f"pic{n}.png"),
            alt_text=f"Boats in the harbour at dawn, view {n}",
            credit="Jo Lens",
        )
        for n in range(3)
    ]
    now = timezone.now()
    story = ArticleFactory(
        headline="Harbour wall repaired before winter storms",
        slug="harbour-wall",
        section=news,
        authors=[ada, ben],
        tags=["harbour"],
        lead_image=pictures[0],
        published_at=now - datetime.timedelta(hours=2),
    )
    ArticleFactory(
        headline="Council budget vote tonight",
        draft=True,
        section=news,
        authors=[ben],
        assignee=editor,
        due_at=now + datetime.timedelta(hours=3),
    )
    ArticleFactory(
        headline="Cup final preview",
        review=True,
        section=sport,
        authors=[ada],
        assignee=reporter,
        due_at=now + datetime.timedelta(days=1, hours=2),
    )
    ArticleFactory(headline="Embargoed report", scheduled=True, section=news, authors=[ada])
    ArticleFactory(headline="Old ferry timetable", withdrawn=True, section=news, authors=[ben])
    # What others at the desk add to the story's form: a note thread (one mention, one
    # resolved), a colleague with the story open, and unsaved text waiting to be restored.
    note = EditorialNote.objects.create(
        article=story, author=reporter, text="@editor the wall is 40 m, not 400 m."
    )
    note.mentions.add(editor)
    EditorialNote.objects.create(
        article=story, author=editor, text="Photo credit checked."
    ).resolve(by=editor)
    presence.beat(story.pk, reporter, "reporter-tab", dirty=True)
    Autosave.objects.create(
        article=story,
        user=editor,
        data={"headline": story.headline + " at last", "body": "<p>The wall was opened.</p>"},
        saved_at=now + datetime.timedelta(minutes=1),
    )
    live = ArticleFactory(
        headline="Election night: the count",
        kind=Article.Kind.LIVE,
        section=news,
        published_at=now - datetime.timedelta(hours=1),
    )
    LiveUpdate.objects.create(article=live, title="Polls have closed", body="<p>Counting.</p>")
    return story


def pages(story):
    live = Article.objects.get(kind=Article.Kind.LIVE)
    own_note = EditorialNote.objects.get(article=story, author__username="editor")
    return {
        "dashboard": "/admin/",
        "article list": "/admin/articles/article/",
        # One month's stories: the date links lead with "< year" whatever today's date.
        "article list, one month": "/admin/articles/article/?published_at__year="
        f"{story.published_at.year}&published_at__month={story.published_at.month}",
        "add form": "/admin/articles/article/add/",
        "change form": f"/admin/articles/article/{story.pk}/change/",
        "live change form": f"/admin/articles/article/{live.pk}/change/",
        "budget": "/admin/articles/article/budget/",
        "image library": "/admin/articles/image/",
        "note delete": f"/admin/articles/article/{story.pk}/notes/{own_note.pk}/delete/",
    }


PAGES = [
    "dashboard",
    "article list",
    "article list, one month",
    "add form",
    "change form",
    "live change form",
    "budget",
    "image library",
    "note delete",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", PAGES)
def test_desk_pages_pass_axe(browser, live_server, desk, name, scheme, viewport, artifacts):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        color_scheme=scheme,
        is_mobile=viewport is PHONE,
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        login(page, "editor")
        page.goto(pages(desk)[name])
        if "form" in name:
            page.wait_for_selector(".ProseMirror[contenteditable=true]")
        slug = f"desk-{name.replace(',', '').replace(' ', '-')}-{scheme}-{viewport['width']}"
        page.screenshot(path=str(artifacts / f"{slug}.png"), full_page=True)
        check_accessibility(page, f"{name}, {scheme}, {viewport['width']}px")
    finally:
        context.close()
    assert not errors


# A stop shows its focus when at least this many pixels per pixel of the control's
# outline change noticeably between focused and not: a 1 px ring all round is 1.
RING = 1.0
NOTICEABLE = 48  # of 255, in one channel at least


def changed_pixels(before, after):
    diff = ImageChops.difference(before.convert("RGB"), after.convert("RGB"))
    strongest = ImageChops.lighter(ImageChops.lighter(*diff.split()[:2]), diff.split()[2])
    return strongest.point(lambda value: 255 if value >= NOTICEABLE else 0).histogram()[255]


def focus_change(page, element):
    """Pixels of the focused element's box (and a margin for its ring) that change when
    it loses focus, and the box's outline length."""
    box = element.evaluate(
        """(e) => {
            e.scrollIntoView({block: "center", inline: "nearest"})
            const r = e.getBoundingClientRect()
            return {x: r.x, y: r.y, width: r.width, height: r.height}
        }"""
    )
    view = page.viewport_size
    x, y = max(0, box["x"] - 6), max(0, box["y"] - 6)
    clip = {
        "x": x,
        "y": y,
        "width": min(view["width"], box["x"] + box["width"] + 6) - x,
        "height": min(view["height"], box["y"] + box["height"] + 6) - y,
    }
    if clip["width"] < 1 or clip["height"] < 1:
        return 0, 1
    focused = Image.open(io.BytesIO(page.screenshot(clip=clip, animations="disabled")))
    element.evaluate("(e) => e.blur()")
    blurred = Image.open(io.BytesIO(page.screenshot(clip=clip, animations="disabled")))
    element.evaluate("(e) => e.focus({preventScroll: true})")
    return changed_pixels(focused, blurred), 2 * (clip["width"] + clip["height"] - 24)


REACHABLE = """() => [...document.querySelectorAll(
    '#content input:not([type=hidden]), #content select, #content textarea, #content button,'
    + ' #content a[href], #content [tabindex]:not([tabindex="-1"]), #content [contenteditable=true]'
  )].filter((e) => e.tabIndex >= 0 && !e.disabled && e.checkVisibility({visibilityProperty: true})
    && !e.closest('[inert], [aria-hidden="true"]') && !e.dataset.walked)
  .map((e) => e.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize(
    ("form", "scheme", "viewport"),
    [
        ("change form", "light", DESKTOP),
        ("change form", "dark", DESKTOP),
        ("add form", "light", DESKTOP),
        # A phone with a keyboard (a tablet's, or switch access): the same stops, each seen.
        ("change form", "dark", PHONE),
        ("add form", "light", PHONE),
    ],
    ids=["change-light", "change-dark", "add-light", "change-dark-phone", "add-light-phone"],
)
def test_a_keyboard_walk_of_the_article_form_sees_every_stop(
    browser, live_server, desk, form, scheme, viewport, artifacts
):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    try:
        login(page, "editor")
        page.goto(pages(desk)[form])
        page.wait_for_selector(".ProseMirror[contenteditable=true]")
        page.wait_for_selector(".select2-selection[aria-labelledby]")
        unseen, stops = [], 0
        # The add form puts focus in the headline itself: that is the first stop.
        element = page.evaluate_handle("document.activeElement")
        for _step in range(600):
            if element.evaluate("(e) => e !== document.body && !e.dataset.walked"):
                element.evaluate("(e) => { e.dataset.walked = '1' }")
                stops += 1
                changed, outline = focus_change(page, element)
                if changed < RING * outline:
                    unseen.append(
                        (element.evaluate("(e) => e.outerHTML.slice(0, 120)"), changed, outline)
                    )
                    name = (
                        f"desk-unseen-focus-{form[:3]}-{scheme}-{viewport['width']}"
                        f"-{len(unseen)}.png"
                    )
                    page.screenshot(path=str(artifacts / name))
            elif stops:
                break  # back at the page itself, or at a stop already seen: round once
            page.keyboard.press("Tab")
            element = page.evaluate_handle("document.activeElement")
        assert stops > 60, stops  # the walk went through the form, not round one spot
        assert not unseen, "\n".join(map(str, unseen))
        # Every control of the page was a stop of the walk.
        assert page.evaluate(REACHABLE) == []
        for control in ("#id_headline", ".tiptap", "[data-name=bold]", "input[name=_save]"):
            assert page.locator(control).first.get_attribute("data-walked") == "1", control
    finally:
        context.close()


def test_the_body_editor_says_what_it_is_and_what_is_on(page, desk):
    login(page, "editor")
    page.goto(f"/admin/articles/article/{desk.pk}/change/")
    surface = page.locator(".field-body .ProseMirror[contenteditable=true]")
    expect(surface).to_have_attribute("role", "textbox")
    expect(surface).to_have_attribute("aria-multiline", "true")
    expect(surface).to_have_accessible_name("Body:")
    bold = page.locator(".field-body [data-name=bold]")
    expect(bold).to_have_attribute("aria-pressed", "false")
    surface.click()
    page.keyboard.press("End")
    page.keyboard.press("Control+b")
    page.keyboard.type(" loud")
    expect(bold).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Control+b")
    expect(bold).to_have_attribute("aria-pressed", "false")
    # Moving the caret into bold text says so too (a selection update, nothing typed).
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(bold).to_have_attribute("aria-pressed", "true")
    # Commands that are not toggles say nothing of the kind.
    assert (
        page.locator(".field-body [data-name=horizontalRule]").get_attribute("aria-pressed") is None
    )
    # The block-type button says whether its list is open.
    block = page.locator(".field-body .prose-menubar__selected button")
    expect(block).to_have_attribute("aria-expanded", "false")
    block.focus()
    page.keyboard.press("Enter")
    expect(block).to_have_attribute("aria-expanded", "true")
    picker = page.locator(".field-body .prose-menubar__picker")
    assert block.get_attribute("aria-controls") == picker.get_attribute("id")
    page.keyboard.press("Escape")
    expect(block).to_have_attribute("aria-expanded", "false")


def test_space_presses_the_add_and_remove_links(page, desk):
    login(page, "editor")
    page.goto(f"/admin/articles/article/{desk.pk}/change/")
    rows = page.locator("#bylines-group tr.dynamic-bylines")
    add = page.locator("#bylines-group .add-row a")
    expect(add).to_have_attribute("role", "button")
    # Django's inlines.js gives the rows their class as it makes this link, in a jQuery
    # ready handler (a task of its own, which may come after the load event): count then.
    before = rows.count()
    # Whether the browser would page down: the last listener to see a Space (on the
    # window, as it bubbles out) reads whether the page's own handler kept it for the
    # button. (Reading scrollY instead fails when something above loads in meanwhile.)
    page.evaluate(
        """() => window.addEventListener("keydown", (event) => {
            if (event.key === " ") window.spaceKept = event.defaultPrevented
        })"""
    )
    add.focus()
    page.keyboard.press("Space")
    expect(rows).to_have_count(before + 1)
    assert page.evaluate("window.spaceKept") is True  # a button's Space, not a page down
    remove = rows.last.locator("a.inline-deletelink")
    expect(remove).to_have_attribute("role", "button")
    remove.focus()
    page.keyboard.press("Space")
    expect(rows).to_have_count(before)
    # The new row's author box is named like the others.
    add.focus()
    page.keyboard.press("Enter")
    expect(rows.last.locator(".select2-selection[role=combobox]")).to_have_accessible_name(
        "Author, new byline"
    )


def test_the_dashboard_uses_the_width_of_a_wide_screen(browser, live_server, desk):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1600, "height": 900})
    page = context.new_page()
    try:
        login(page, "editor")
        page.goto("/admin/")
        main = page.locator("#content-main").bounding_box()
        related = page.locator("#content-related").bounding_box()
        # Beside the "Recent actions" column, the desk takes the rest of the screen.
        assert main["width"] > 1600 - related["width"] - 200, main
        tops = page.locator(".desk-panel").evaluate_all(
            "(panels) => panels.map((p) => Math.round(p.getBoundingClientRect().top))"
        )
        assert tops.count(tops[0]) >= 4, tops  # four panels side by side
    finally:
        context.close()


def test_no_admin_page_asks_for_something_missing(page, desk):
    missing = []
    page.on(
        "response",
        lambda response: missing.append(response.url) if response.status == 404 else None,
    )
    login(page, "editor")
    for name, path in pages(desk).items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.locator("link[rel=icon]").count() == 1, name
    assert not missing, missing
    # And /favicon.ico itself, for anything that asks regardless (a browser tab's icon).
    assert page.request.get("/favicon.ico").status == 200


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_open_autocomplete_list_passes_axe(browser, live_server, desk, scheme):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, color_scheme=scheme)
    page = context.new_page()
    try:
        login(page, "editor")
        page.goto(pages(desk)["change form"])
        box = page.locator(".field-section .select2-selection[role=combobox]")
        expect(box).to_have_accessible_name("Section: News")
        box.focus()
        page.keyboard.press("Enter")
        search = page.locator(".select2-container--open .select2-search__field")
        expect(search).to_have_accessible_name("Search: Section")
        expect(box).to_have_attribute("aria-controls", "select2-id_section-results")
        check_accessibility(page, f"section list open, {scheme}")
        page.keyboard.press("Escape")
        expect(search).to_have_count(0)
        expect(box).not_to_have_attribute("aria-controls", "select2-id_section-results")
        check_accessibility(page, f"section list closed, {scheme}")
    finally:
        context.close()
