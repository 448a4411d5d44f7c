"""Two editors on one story know it before either saves: presence in Chromium."""

import time

import pytest
from playwright.sync_api import expect

from articles import presence
from tests.e2e.conftest import login
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.e2e

#: What the desk promises: someone arriving or starting to type shows within this.
PROMISE_MS = 15_000


def open_context(browser, live_server, problems, width=1400, height=1000, **options):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, **options
    )
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.set_default_timeout(15_000)
    return context, page


def test_two_editors_on_one_story_see_each_other(page, browser, live_server, artifacts, roles):
    UserFactory(username="ana", first_name="Ana", last_name="Ruiz", groups=["Editor"])
    UserFactory(username="ben", first_name="Ben", last_name="Cole", groups=["Editor"])
    article = ArticleFactory(
        draft=True, headline="Harbour wall to be rebuilt", body="<p>The council agreed.</p>"
    )
    change = f"/admin/articles/article/{article.pk}/change/"
    assert presence.interval() == 10  # the real interval, not a shortened one

    # Ana opens the story.
    login(page, "ana")
    page.goto(change)
    expect(page.locator(".ProseMirror[contenteditable=true]")).to_be_visible()
    # Alone on the story: nothing to say, and no empty box saying it.
    assert page.locator(".desk-presence").bounding_box()["height"] < 1

    # Ben opens it too, in his own browser, and is told Ana is there.
    problems = []
    context, other = open_context(browser, live_server, problems)
    try:
        login(other, "ben")
        other.goto(change)
        ben_sees = other.locator("[data-presence-list]")
        expect(ben_sees).to_contain_text("Ana Ruiz is editing this story", timeout=PROMISE_MS)
        expect(ben_sees).not_to_contain_text("unsaved changes")
        # Ana hears of Ben within the same time.
        expect(page.locator("[data-presence-list]")).to_contain_text(
            "Ben Cole is editing this story", timeout=PROMISE_MS
        )

        # Ana starts typing: Ben learns she has unsaved changes, before either saves.
        started = time.monotonic()
        page.locator(".ProseMirror[contenteditable=true]").click()
        page.keyboard.press("End")
        page.keyboard.type(" The work starts in March.")
        expect(ben_sees).to_contain_text(
            "Ana Ruiz is editing this story (unsaved changes)", timeout=PROMISE_MS
        )
        assert time.monotonic() - started < PROMISE_MS / 1000
        status = other.locator(".desk-presence-status")
        assert status.get_attribute("aria-live") == "polite"
        other.screenshot(path=str(artifacts / "presence-change-form.png"))

        # On the change list, the story carries a marker.
        other.goto("/admin/articles/article/")
        row = other.locator("#result_list tr", has_text="Harbour wall to be rebuilt")
        expect(row.locator(".desk-presence-marker")).to_have_text(
            "✎ Ana Ruiz is editing (unsaved changes)"
        )
        other.screenshot(path=str(artifacts / "presence-change-list.png"))

        # Ana leaves the page: her tab says so as it goes, and the marker goes with it
        # (long before her entry would have expired).
        page.goto("/admin/")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            other.reload()
            if not row.locator(".desk-presence-marker").count():
                break
            time.sleep(0.5)
        assert not row.locator(".desk-presence-marker").count()
        assert not presence.on_story(article.pk)  # nobody left on the story
    finally:
        context.close()
    assert not problems, problems


def test_presence_on_a_phone(page, browser, live_server, artifacts, roles, settings):
    settings.PRESENCE_INTERVAL = 1
    UserFactory(username="ana", first_name="Ana", last_name="Ruiz", groups=["Editor"])
    UserFactory(username="ben", first_name="Ben", last_name="Cole", groups=["Editor"])
    article = ArticleFactory(draft=True, headline="Harbour wall to be rebuilt")
    change = f"/admin/articles/article/{article.pk}/change/"
    login(page, "ana")
    page.goto(change)

    problems = []
    context, phone = open_context(
        browser, live_server, problems, width=390, height=844, color_scheme="dark"
    )
    try:
        login(phone, "ben")
        phone.goto(change)
        page.fill("#id_headline", "Harbour wall to be rebuilt next spring")
        notice = phone.locator(".desk-presence-box")
        expect(notice).to_contain_text("Ana Ruiz is editing this story (unsaved changes)")
        box = notice.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        phone.screenshot(path=str(artifacts / "presence-phone.png"))
        # It stays in view while Ben scrolls down the form. A wheel scrolls smoothly, over
        # many frames: measured once the scroll has ended, whatever that takes.
        phone.evaluate(
            "window.scrollEnded = false; document.addEventListener("
            "'scrollend', () => { window.scrollEnded = true }, {once: true})"
        )
        phone.mouse.wheel(0, 1500)
        phone.wait_for_function("() => window.scrollEnded")
        assert 0 <= notice.bounding_box()["y"] < 100
        phone.screenshot(path=str(artifacts / "presence-phone-scrolled.png"))
        phone.goto("/admin/articles/article/")
        expect(phone.locator(".desk-presence-marker")).to_contain_text("Ana Ruiz is editing")
        phone.screenshot(path=str(artifacts / "presence-phone-list.png"), full_page=True)
    finally:
        context.close()
    assert not problems, problems
