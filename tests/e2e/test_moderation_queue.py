"""The moderation queue in Chromium: single-key shortcuts act on the row that has
keyboard focus, can be turned off, and after a decision focus goes to the next
comment and the confirmation is announced; axe-core finds no WCAG 2.2 AA violation
on the queue or the ban confirmation, on a phone and a desktop, light and dark."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comments.models import BlockedCommenter, Comment, CommentFlag, keyed_hash
from tests.e2e.conftest import login
from tests.e2e.test_reader import DESKTOP, PHONE, check_accessibility
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.e2e

QUEUE = "/admin/comments/comment/"


@pytest.fixture
def queue(transactional_db, roles):
    UserFactory(username="moderator", groups=["Moderator"])
    article = ArticleFactory(
        headline="Harbour bridge reopens after repairs",
        published_at=timezone.now() - datetime.timedelta(hours=6),
    )
    parent = CommentFactory(article=article, name="Priya", body="Good news for cyclists.")
    people = ["Ada", "Ben", "Cleo", "Dev"]
    waiting = []
    for number, name in enumerate(people):
        waiting.append(
            CommentFactory(
                article=article,
                parent=parent if number == 1 else None,
                status="pending",
                name=name,
                email=f"{name.lower()}@example.org",
                ip_hash=keyed_hash("ip", f"192.0.2.{number + 1}"),
                body=f"Waiting comment by {name}, with a link https://example.org/{number}",
                moderation_reason="Pre-moderation: waiting for a moderator.",
                created_at=timezone.now() - datetime.timedelta(hours=5 - number),
            )
        )
    CommentFlag.objects.create(comment=waiting[2], reason="Abuse: rude", reporter_hash="r1")
    CommentFactory(article=article, status="spam", name="Spammer", body="Cheap watches")
    return waiting


def open_queue(page):
    login(page, "moderator")
    page.goto(QUEUE)
    page.wait_for_selector("#result_list tbody tr[tabindex='-1']")


def test_a_shortcut_acts_on_the_focused_row_and_focus_moves_on(page, queue, artifacts):
    ada, ben, cleo, _dev = queue
    open_queue(page)
    # Nothing has focus yet: a shortcut acts on no row at all.
    page.keyboard.press("a")
    assert Comment.objects.filter(status="approved", pk__in=[c.pk for c in queue]).count() == 0
    # Keyboard focus on Ben's row (the second), through a link inside it.
    page.focus(f"#result_list tbody tr:nth-child(2) a[href$='/{ben.pk}/change/']")
    # A row has the focus already, on this page: wait for the queue the decision brings.
    with page.expect_navigation():
        page.keyboard.press("a")
    page.wait_for_selector("#result_list tbody tr:focus-within")
    ben.refresh_from_db()
    ada.refresh_from_db()
    assert (ben.status, ada.status) == ("approved", "pending")
    # Focus went to the row where Ben's was, which is now Cleo's; it is announced.
    focused = page.locator("#result_list tbody tr:focus-within")
    expect(focused).to_have_count(1)
    expect(focused).to_contain_text("Waiting comment by Cleo", use_inner_text=True)
    expect(page.locator("#queue-announcer")).to_contain_text("approved")
    expect(page.locator("#queue-announcer")).to_contain_text(
        f"Comment #{ben.pk} approved.", use_inner_text=True
    )
    page.screenshot(path=str(artifacts / "moderation-queue-focus.png"), full_page=True)
    # j/k move the focus; r rejects the row that has it.
    page.keyboard.press("k")
    expect(page.locator("#result_list tbody tr:focus")).to_contain_text(
        "Waiting comment by Ada", use_inner_text=True
    )
    with page.expect_navigation():
        page.keyboard.press("r")
    page.wait_for_selector("#result_list tbody tr:focus-within")
    ada.refresh_from_db()
    cleo.refresh_from_db()
    assert (ada.status, cleo.status) == ("rejected", "pending")


def test_shortcuts_can_be_turned_off_and_stay_off(page, queue):
    ada = queue[0]
    open_queue(page)
    page.uncheck("#queue-keys-toggle")
    page.focus("#result_list tbody tr:nth-child(1) a.queue-id")
    page.keyboard.press("a")
    page.keyboard.press("j")
    assert (
        "Waiting comment by Ada" in page.locator("#result_list tbody tr:focus-within").inner_text()
    )
    page.reload()
    page.wait_for_selector("#result_list tbody tr[tabindex='-1']")
    assert not page.is_checked("#queue-keys-toggle")
    page.focus("#result_list tbody tr:nth-child(1) a.queue-id")
    page.keyboard.press("s")
    ada.refresh_from_db()
    assert ada.status == "pending"
    page.check("#queue-keys-toggle")
    page.focus("#result_list tbody tr:nth-child(1) a.queue-id")
    page.keyboard.press("s")
    page.wait_for_selector(".messagelist")
    ada.refresh_from_db()
    assert ada.status == "spam"


def test_ban_from_the_row_with_the_keyboard(page, queue):
    dev = queue[3]
    open_queue(page)
    page.focus(f"#result_list tbody tr:nth-child(4) a[href$='/{dev.pk}/change/']")
    page.keyboard.press("b")
    page.wait_for_selector("text=Ban this commenter?")
    page.click("input[value='Yes, ban']")
    # Back on the queue, focus is where Dev's comment was (now the last row, Cleo's),
    # and the confirmation is in the status region.
    page.wait_for_selector("#result_list tbody tr:focus")
    expect(page.locator("#result_list tbody tr:focus")).to_contain_text(
        "Waiting comment by Cleo", use_inner_text=True
    )
    # (moderation.js takes the confirmation out and puts it back to have it read out.)
    expect(page.locator("[role=status] .messagelist")).to_contain_text(
        "1 waiting comment rejected.", use_inner_text=True
    )
    assert BlockedCommenter.objects.filter(email="dev@example.org").exists()
    dev.refresh_from_db()
    assert dev.status == "rejected"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_queue_has_no_accessibility_violations(
    browser, live_server, queue, artifacts, scheme, viewport
):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    try:
        open_queue(page)
        name = f"{'phone' if viewport is PHONE else 'desktop'}-{scheme}"
        page.focus("#result_list tbody tr:nth-child(2) a.queue-id")
        page.screenshot(path=str(artifacts / f"moderation-queue-{name}.png"), full_page=True)
        check_accessibility(page, f"moderation queue, {name}")
        # After a decision: the confirmation in its status region, focus on the next row.
        page.click("#result_list tbody tr:nth-child(1) button[value=reject]")
        page.wait_for_selector("#result_list tbody tr:focus-within")
        page.wait_for_selector("[role=status] .messagelist")
        page.screenshot(path=str(artifacts / f"moderation-decided-{name}.png"))
        check_accessibility(page, f"moderation queue after a decision, {name}")
        page.goto(f"/admin/comments/comment/{queue[0].pk}/ban/")
        page.screenshot(path=str(artifacts / f"moderation-ban-{name}.png"), full_page=True)
        check_accessibility(page, f"ban confirmation, {name}")
    finally:
        context.close()


FOCUS_STYLE = """(element) => {
    const style = getComputedStyle(element);
    return {
        outline: style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0,
        shadow: style.boxShadow,
    };
}"""


def focus_ring_shows(page, element, label):
    """The focused element looks different from itself unfocused (a screenshot of it
    and its surroundings, with and without focus), and the difference is a ring of at
    least 2 px (an outline or a box-shadow), not only a caret or a colour change."""
    box = element.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, f"{label}: not visible"
    viewport = page.viewport_size
    clip = {"x": max(box["x"] - 6, 0), "y": max(box["y"] - 6, 0)}
    clip["width"] = min(box["width"] + 12, viewport["width"] - clip["x"])
    clip["height"] = min(box["height"] + 12, viewport["height"] - clip["y"])
    focused_style = element.evaluate(FOCUS_STYLE)
    focused = page.screenshot(clip=clip)
    element.evaluate("(element) => element.blur()")
    blurred_style = element.evaluate(FOCUS_STYLE)
    blurred = page.screenshot(clip=clip)
    element.evaluate("(element) => element.focus()")
    assert focused != blurred, f"{label}: no visible change when focused"
    assert focused_style["outline"] >= 2 or focused_style["shadow"] != blurred_style["shadow"], (
        f"{label}: focus shows no ring ({focused_style})"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_tab_stop_on_the_queue_shows_a_focus_ring(browser, live_server, queue, scheme):
    """A keyboard walk of the whole queue page, from the skip link to the last filter."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, color_scheme=scheme)
    page = context.new_page()
    try:
        open_queue(page)
        stops, first = [], None
        for _ in range(250):
            page.keyboard.press("Tab")
            element = page.evaluate_handle("document.activeElement")
            described = element.evaluate(
                "(e) => e === document.body ? null : "
                "e.tagName + ' ' + (e.id || e.name || e.getAttribute('href') || e.textContent)"
                ".trim().slice(0, 60)"
            )
            if described is None or described == first:
                break
            first = first or described
            element.evaluate("(e) => e.scrollIntoView({block: 'center'})")
            focus_ring_shows(page, element.as_element(), described)
            stops.append(described)
        # Every part of the queue was on the way: the switch, the search, the bulk
        # actions, each row's links and buttons, and the filters.
        walked = "\n".join(stops)
        assert "INPUT queue-keys-toggle" in walked
        assert "INPUT searchbar" in walked
        assert "SELECT action" in walked
        assert walked.count("BUTTON moderate") == 3 * len(queue)
        assert walked.count("A /admin/comments/comment/") >= 2 * len(queue)
        assert "A ?status=all" in walked
        # The row that j/k move to shows the same ring.
        page.focus("#queue-keys-toggle")
        page.keyboard.press("j")
        row = page.locator("#result_list tbody tr:focus")
        expect(row).to_contain_text("Waiting comment by Ada", use_inner_text=True)
        focus_ring_shows(page, row.element_handle(), "the first row")
    finally:
        context.close()


def test_no_single_key_acts_while_typing_or_with_a_modifier(page, queue):
    open_queue(page)
    page.focus("#result_list tbody tr:nth-child(1) a.queue-id")
    for chord in ["Alt+a", "Control+s", "Meta+r", "Shift+A"]:
        page.keyboard.press(chord)
    page.fill("#searchbar", "")
    page.type("#searchbar", "ars")
    page.focus("#action-toggle")
    page.wait_for_timeout(300)
    assert Comment.objects.filter(pk__in=[c.pk for c in queue], status="pending").count() == 4
    expect(page.locator("#searchbar")).to_have_value("ars")


def test_a_bulk_action_brings_focus_back_to_the_first_decided_row(page, queue):
    _ada, ben, cleo, dev = queue
    open_queue(page)
    page.check(f"#result_list input.action-select[value='{ben.pk}']")
    page.check(f"#result_list input.action-select[value='{cleo.pk}']")
    page.select_option("select[name=action]", "reject")
    page.click("button[name=index]")
    page.wait_for_selector("#result_list tbody tr:focus")
    expect(page.locator("#result_list tbody tr:focus")).to_contain_text(
        "Waiting comment by Dev", use_inner_text=True
    )
    expect(page.locator("[role=status] .messagelist")).to_contain_text(
        "2 comments rejected.", use_inner_text=True
    )
    assert set(Comment.objects.filter(status="rejected").values_list("pk", flat=True)) == {
        ben.pk,
        cleo.pk,
    }
    dev.refresh_from_db()
    assert dev.status == "pending"


def test_without_javascript_a_decision_comes_back_to_the_next_comment(
    browser, live_server, queue, artifacts
):
    """No script: the Approve button posts, the redirect names the next comment, which
    the browser focuses, and the confirmation sits in the status region."""
    ada, ben, cleo, _dev = queue
    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, "moderator")
        page.goto(QUEUE)
        # Without the script there are no shortcuts, so no switch for them either.
        assert not page.is_visible("#queue-keys-toggle")
        page.click("#result_list tbody tr:nth-child(2) button[value=approve]")
        page.wait_for_url(f"**/admin/comments/comment/#queue-comment-{cleo.pk}")
        ben.refresh_from_db()
        ada.refresh_from_db()
        assert (ben.status, ada.status) == ("approved", "pending")
        status = page.locator("[role=status][aria-live=polite]")
        assert status.inner_text().strip() == f"Comment #{ben.pk} approved."
        # The browser focuses the comment named in the address as the page settles.
        focused = page.locator("#result_list tbody tr:focus-within")
        expect(focused).to_contain_text("Waiting comment by Cleo", use_inner_text=True)
        # Tab goes on from there, into Cleo's row, not from the top of the page.
        page.keyboard.press("Tab")
        expect(page.locator(f"#queue-comment-{cleo.pk} :focus")).to_have_count(1)
        page.screenshot(path=str(artifacts / "moderation-queue-no-js.png"))
    finally:
        context.close()


def test_the_change_page_announces_its_decision(page, queue):
    ada = queue[0]
    open_queue(page)
    page.click(f"#result_list a[href$='/{ada.pk}/change/']")
    page.click(".submit-row.queue-actions button[value=approve]")
    page.wait_for_url(f"**/admin/comments/comment/{ada.pk}/change/")
    expect(page.locator("#queue-announcer")).to_contain_text("approved")
    assert page.get_attribute("#queue-announcer", "role") == "status"
    ada.refresh_from_db()
    assert ada.status == "approved"
    check_accessibility(page, "a comment's change page after a decision")
