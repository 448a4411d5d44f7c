"""Live coverage in Chromium (issue 15): an editor posts three updates from the desk with
the keyboard; a reader's open page offers "3 new updates" within the polling interval
and inserts them on click, announced politely; axe-core finds nothing on a live page,
light and dark, phone and desktop."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article, LiveUpdate
from tests.e2e.conftest import login
from tests.e2e.test_reader import DESKTOP, PHONE, check_accessibility
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def coverage(transactional_db, roles, settings):
    settings.LIVE_POLL_SECONDS = 2
    editor = UserFactory(username="editor", groups=["Editor"])
    AuthorFactory(name="Ada Reed", slug="ada-reed", user=editor)
    story = ArticleFactory(
        headline="Election night: the count",
        slug="election-night",
        standfirst="Results as they come in.",
        kind=Article.Kind.LIVE,
        section=SectionFactory(name="News", slug="news"),
        published_at=timezone.now() - datetime.timedelta(hours=1),
    )
    first = LiveUpdate.objects.create(
        article=story, title="Polls have closed", body="<p>Counting starts now.</p>", key_event=True
    )
    first.publish(by=editor)
    pinned = LiveUpdate.objects.create(
        article=story, body="<p>Where to find results in your ward.</p>", pinned=True
    )
    pinned.publish(by=editor)
    return story


def test_an_editor_posts_three_updates_and_a_reader_inserts_them(
    browser, live_server, page, coverage, artifacts
):
    reader = browser.new_context(base_url=live_server.url, viewport=DESKTOP).new_page()
    # The reader's clock is the test's: the page polls when the test moves it on (a
    # poll in the middle of the editor's post would meet SQLite's table lock).
    hold_clock(reader, coverage.get_absolute_url())
    assert reader.locator(".live-update").count() == 2
    button = reader.locator(".live-new-button")
    assert button.is_hidden()

    login(page, "editor")
    page.goto(f"/admin/articles/article/{coverage.pk}/change/")
    for number in (1, 2, 3):
        page.fill("#id_live-title", f"Ward {number} declares")
        page.locator("#live-desk .ProseMirror[contenteditable=true]").click()
        page.keyboard.type(f"Turnout in ward {number} was high.")
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")
        assert "The update is on the site." in page.locator(".messagelist").inner_text()
    published = LiveUpdate.objects.filter(status="published", title__startswith="Ward")
    assert published.count() == 3

    # Within one polling interval the button offers them; nothing moved under the reader.
    next_poll(reader)
    expect(button).to_have_text("3 new updates")
    assert reader.locator(".live-new").get_attribute("aria-live") == "polite"
    assert reader.locator(".live-update").count() == 2
    reader.clock.resume()  # (a click waits for animation frames, which a held clock holds)
    button.click()
    assert reader.locator(".live-update").count() == 5
    stream = reader.locator(".live-stream .live-update-title")
    assert stream.nth(0).inner_text() == "Ward 3 declares"
    assert stream.nth(2).inner_text() == "Ward 1 declares"
    focused = reader.evaluate("document.activeElement.id")
    assert focused == f"update-{published.get(title='Ward 3 declares').pk}"
    assert button.is_hidden()
    reader.screenshot(path=str(artifacts / "live-reader.png"), full_page=True)
    check_accessibility(reader, "live page after inserting")
    reader.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_live_page_passes_axe(browser, live_server, coverage, scheme, viewport):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        color_scheme=scheme,
        is_mobile=viewport is PHONE,
    )
    page = context.new_page()
    try:
        hold_clock(page, coverage.get_absolute_url())
        assert page.locator(".live-key-events").is_visible()
        # The "N new updates" button showing too.
        LiveUpdate.objects.create(article=coverage, body="<p>A new one.</p>").publish(by=_editor())
        next_poll(page)
        page.clock.resume()
        check_accessibility(page, f"live page, {scheme}, {viewport['width']}px")
    finally:
        context.close()


def hold_clock(page, path):
    """Open `path` with a clock whose timers fire only when the test moves it on."""
    page.clock.install()
    page.goto(path)
    now = page.evaluate("Date.now()") / 1000
    # A second ahead: the page's clock runs on meanwhile, and pausing in its past fails
    # on a busy machine; no poll is due that soon (they come every LIVE_POLL_SECONDS).
    page.clock.pause_at(datetime.datetime.fromtimestamp(now + 1))


def next_poll(page):
    """Move the page's clock past its polling interval, then wait (really) for the
    answer to show as the "N new updates" button."""
    page.clock.run_for(2_500)
    page.locator(".live-new-button").wait_for(state="visible", timeout=10_000)


def _editor():
    from django.contrib.auth.models import User

    return User.objects.get(username="editor")


def test_a_hidden_tab_polls_four_times_less_often(browser, live_server, coverage):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.add_init_script("Object.defineProperty(document, 'hidden', {get: () => true})")
    page = context.new_page()
    polls = []
    page.on("request", lambda request: "/updates/?since=" in request.url and polls.append(1))
    try:
        hold_clock(page, coverage.get_absolute_url())
        page.clock.run_for(2_500)  # the interval (2 s) is past: a visible tab would poll
        page.wait_for_timeout(300)
        assert polls == []
        page.clock.run_for(6_000)  # four intervals in all
        for _ in range(50):  # the request itself is real: wait for it to be sent
            if polls:
                break
            page.wait_for_timeout(100)
        assert len(polls) == 1
    finally:
        context.close()
