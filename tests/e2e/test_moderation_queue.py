"""The moderation queue in Chromium: single-key shortcuts act on the row that has
keyboard focus, can be turned off, and after a decision focus goes to the next
comment and the confirmation is announced; axe-core finds no WCAG 2.2 AA violation
on the queue or the ban confirmation, on a phone and a desktop, light and dark."""

import datetime

import pytest
from django.utils import timezone

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
    page.keyboard.press("a")
    page.wait_for_selector(".messagelist")
    ben.refresh_from_db()
    ada.refresh_from_db()
    assert (ben.status, ada.status) == ("approved", "pending")
    # Focus went to the row where Ben's was, which is now Cleo's; it is announced.
    focused = page.locator("#result_list tbody tr:focus")
    assert focused.count() == 1
    assert "Waiting comment by Cleo" in focused.inner_text()
    page.wait_for_function(
        "() => document.getElementById('queue-announcer').textContent.includes('approved')"
    )
    assert f"Comment #{ben.pk} approved." in page.locator("#queue-announcer").inner_text()
    page.screenshot(path=str(artifacts / "moderation-queue-focus.png"), full_page=True)
    # j/k move the focus; r rejects the row that has it.
    page.keyboard.press("k")
    assert "Waiting comment by Ada" in page.locator("#result_list tbody tr:focus").inner_text()
    page.keyboard.press("r")
    page.wait_for_selector("#result_list tbody tr:focus")
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
    page.wait_for_selector(".messagelist")
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
        page.goto(f"/admin/comments/comment/{queue[0].pk}/ban/")
        page.screenshot(path=str(artifacts / f"moderation-ban-{name}.png"), full_page=True)
        check_accessibility(page, f"ban confirmation, {name}")
    finally:
        context.close()
