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
    # (Measured at the top of the page, where no browser's scroll anchoring would hide
    # a jump, and scrolled down with scroll anchoring off, as in browsers without it.)
    before = text_positions(reader)
    reader.evaluate(
        "document.documentElement.style.overflowAnchor = 'none';"
        "window.scrollTo(0, document.querySelector('.live-pinned').offsetTop)"
    )
    scrolled = text_positions(reader)
    reader.evaluate("window.scrollTo(0, 0)")
    next_poll(reader)
    expect(button).to_have_text("3 new updates")
    assert reader.locator(".live-new").get_attribute("aria-live") == "polite"
    assert reader.locator(".live-update").count() == 2
    assert text_positions(reader) == before
    reader.evaluate("window.scrollTo(0, document.querySelector('.live-pinned').offsetTop)")
    assert text_positions(reader) == scrolled
    reader.clock.resume()  # (a click waits for animation frames, which a held clock holds)
    button.click()
    expect(reader.locator(".live-update")).to_have_count(5)
    stream = reader.locator(".live-stream .live-update-title")
    expect(stream.nth(0)).to_have_text("Ward 3 declares", use_inner_text=True)
    expect(stream.nth(2)).to_have_text("Ward 1 declares", use_inner_text=True)
    newest = published.get(title="Ward 3 declares")
    expect(reader.locator(f"#update-{newest.pk}")).to_be_focused()
    expect(button).to_be_hidden()
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


def text_positions(page):
    """Where the updates on the page are on screen (px from the top of the window)."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('.live-update'), u =>"
        " Math.round(u.getBoundingClientRect().top))"
    )


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
    context.add_init_script(
        "window.testHidden = true;"
        "Object.defineProperty(document, 'hidden', {get: () => window.testHidden})"
    )
    page = context.new_page()
    polls = Polls(page)
    try:
        hold_clock(page, coverage.get_absolute_url())
        page.clock.run_for(2_500)  # the interval (2 s) is past: a visible tab would poll
        page.wait_for_timeout(300)
        assert len(polls) == 0
        page.clock.run_for(6_000)  # four intervals in all
        wait_for_polls(page, polls, 1)
        # Back in view: it asks within a second rather than four intervals on.
        polls.settle(page)  # (the answer schedules the next poll, 8 s on)
        page.evaluate(
            "window.testHidden = false; document.dispatchEvent(new Event('visibilitychange'))"
        )
        page.clock.run_for(1_100)
        wait_for_polls(page, polls, 2)
    finally:
        context.close()


def test_without_javascript_the_page_shows_everything_and_a_reload_brings_more(
    browser, live_server, coverage
):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(coverage.get_absolute_url())
        assert page.locator(".live-update").count() == 2
        assert page.locator(".live-new-button").is_hidden()  # no button that does nothing
        assert page.locator(".live-key-events a").inner_text().endswith("Polls have closed")
        LiveUpdate.objects.create(article=coverage, body="<p>Ward 9 declares.</p>").publish(
            by=_editor()
        )
        page.reload()
        assert page.locator(".live-update").count() == 3
        assert "Ward 9 declares." in page.locator(".live-stream .live-update").first.inner_text()
    finally:
        context.close()


def test_polling_backs_off_while_the_server_fails_and_recovers(browser, live_server, coverage):
    """Each failed poll doubles the wait (a quarter of it taken off at random, so readers
    do not come back all at once), up to a cap; the first answer brings back the usual
    pace, and the updates published meanwhile."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()
    failing = [True]
    polls = Polls(page)

    def answer(route):
        if failing[0]:
            route.fulfill(status=503, content_type="text/plain", body="Busy.")
        else:
            route.fallback()

    page.route("**/updates/?since=*", answer)
    try:
        hold_clock(page, coverage.get_absolute_url())
        page.clock.run_for(2_500)  # the usual interval: 2 s
        wait_for_polls(page, polls, 1)
        # Failures in a row: 4, 8, ... 128 s (2 s doubled six times), then no longer.
        for wait in (4, 8, 16, 32, 64, 128, 128):
            expect_poll_after(page, polls, wait)
        failing[0] = False
        LiveUpdate.objects.create(article=coverage, body="<p>Back online.</p>").publish(
            by=_editor()
        )
        expect_poll_after(page, polls, 128)
        button = page.locator(".live-new-button")
        expect(button).to_have_text("1 new update")
        # Answered: the usual pace again, exactly 2 s.
        polls.settle(page)
        page.clock.run_for(1_800)
        page.wait_for_timeout(300)
        assert len(polls) == 9
        page.clock.run_for(300)
        wait_for_polls(page, polls, 10)
        page.clock.resume()
        button.click()
        expect(page.locator(".live-stream .live-update").first).to_contain_text("Back online.")
    finally:
        context.close()


class Polls:
    """The page's polls, as sent and as answered. The page's clock is the test's, but
    the requests are real: before moving the clock on, a test waits for the last
    answer to reach the page, which sets the next poll's timer from it."""

    def __init__(self, page):
        self.sent, self.answered = [], []
        page.on("request", lambda request: self._note(self.sent, request))
        page.on("requestfinished", lambda request: self._note(self.answered, request))
        page.on("requestfailed", lambda request: self._note(self.answered, request))

    @staticmethod
    def _note(into, request):
        if "/updates/?since=" in request.url:
            into.append(request.url)

    def __len__(self):
        return len(self.sent)

    def settle(self, page):
        """Wait (really) until every poll sent has its answer, and the page has read it."""
        for _ in range(200):
            if len(self.answered) >= len(self.sent):
                break
            page.wait_for_timeout(50)
        assert len(self.answered) == len(self.sent), "a poll was never answered"
        page.wait_for_timeout(100)  # the script reads the answer and sets its timer


def expect_poll_after(page, polls, seconds):
    """The next poll comes `seconds` after the last answer, less at most a quarter:
    none before, one by then."""
    count = len(polls)
    polls.settle(page)
    page.clock.run_for(int(seconds * 750) - 200)
    page.wait_for_timeout(300)
    assert len(polls) == count, f"polled sooner than {seconds * 0.75} s after an error"
    page.clock.run_for(int(seconds * 250) + 400)
    wait_for_polls(page, polls, count + 1)


def wait_for_polls(page, polls, count):
    """The requests are real: wait (really) for the `count`th to be sent, no more."""
    for _ in range(100):
        if len(polls) >= count:
            break
        page.wait_for_timeout(100)
    assert len(polls) == count


def test_a_deleted_update_does_not_leave_the_page_behind(browser, live_server, coverage):
    """The page counts new updates from the newest it knows. When that one is deleted
    (not withdrawn), the server no longer knows its time: the page counts from the
    newest other one it shows and follows the story on, without a reload."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()

    def poll_answer(status):
        return lambda response: "/updates/?since=" in response.url and response.status == status

    try:
        hold_clock(page, coverage.get_absolute_url())
        gone = LiveUpdate.objects.create(article=coverage, body="<p>Ward 4 declares.</p>")
        gone.publish(by=_editor())
        next_poll(page)
        button = page.locator(".live-new-button")
        expect(button).to_have_text("1 new update")

        gone.delete()  # a mistake, taken down for good
        LiveUpdate.objects.create(article=coverage, body="<p>Ward 5 declares.</p>").publish(
            by=_editor()
        )
        with page.expect_response(poll_answer(400)):
            page.clock.run_for(2_500)
        # What waited behind the button is asked for again, at once.
        page.wait_for_function("() => document.querySelector('.live-new-button').hidden")
        with page.expect_response(poll_answer(200)):
            page.clock.run_for(100)
        expect(button).to_have_text("1 new update")
        page.clock.resume()
        button.click()
        stream = page.locator(".live-stream .live-update")
        expect(stream.first).to_contain_text("Ward 5 declares.")
        expect(page.locator(".live-stream")).not_to_contain_text("Ward 4 declares.")
    finally:
        context.close()


def test_one_poll_at_a_time(browser, live_server, coverage):
    """Coming back to the tab asks within a second; while a poll is still on its way,
    that is the one the page waits for (a second one would count its updates twice)."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()
    held, polls = [], []

    def hold(route):
        polls.append(route.request.url)
        held.append(route)

    page.route("**/updates/?since=*", hold)
    try:
        hold_clock(page, coverage.get_absolute_url())
        page.clock.run_for(2_500)
        wait_for_polls(page, polls, 1)
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.clock.run_for(1_100)  # back in view: a poll is due within a second
        page.wait_for_timeout(300)
        assert len(polls) == 1, polls
        held[0].continue_()
        # Once answered, the page polls on (however long the answer takes to land).
        for _ in range(50):
            page.clock.run_for(500)
            if len(polls) > 1:
                break
            page.wait_for_timeout(100)
        assert len(polls) == 2, polls
        held[1].continue_()
    finally:
        context.close()
