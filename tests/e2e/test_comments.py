"""A reader comments on a cached article page from a phone; a moderator approves
it from the queue with the keyboard; the reader sees it after a reload."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comments.models import Comment
from tests.e2e.conftest import login
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def roles(db):
    """The role groups. The data migration makes them, and serialized rollback
    should bring them back after each browser test's flush, but after a
    non-transactional test ran first they are sometimes missing (see the report);
    make sure they exist, with their permissions."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.sql import emit_post_migrate_signal

    from newsroom.roles import ROLE_PERMISSIONS

    if set(Group.objects.values_list("name", flat=True)) >= set(ROLE_PERMISSIONS):
        return
    ContentType.objects.clear_cache()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    for name, dotted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in (permission.split(".") for permission in dotted)
        )


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not errors, errors


def test_reader_posts_moderator_approves_with_the_keyboard(phone, page, artifacts, settings, roles):
    # The browser fills the form at machine speed; the timing rule is tested elsewhere.
    settings.COMMENTS_MIN_FORM_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 300
    UserFactory(username="moderator", groups=["Moderator"])
    article = ArticleFactory(
        headline="Harbour bridge reopens after repairs",
        published_at=timezone.now() - datetime.timedelta(hours=2),
    )
    first = CommentFactory(
        article=article,
        name="Priya",
        body="Good news for cyclists. The detour added twenty minutes to my commute.",
    )
    CommentFactory(
        article=article,
        parent=first,
        name="Tom",
        body="Agreed. Details of the works: https://example.org/harbour-bridge",
    )
    for number in range(3):
        CommentFactory(
            article=article,
            status="pending",
            name=f"Waiting reader {number}",
            body=f"An earlier comment still waiting, number {number}.",
            moderation_reason="Pre-moderation: waiting for a moderator.",
            created_at=timezone.now() - datetime.timedelta(hours=5 - number),
        )

    # The reader opens the article: an anonymous, cached page.
    response = phone.goto(article.get_absolute_url())
    assert "public" in response.headers["cache-control"]
    # The page as served (and cached) has no token; the form fetched into it does.
    assert "csrfmiddlewaretoken" not in response.text()
    phone.locator("#comments").scroll_into_view_if_needed()
    phone.wait_for_selector("textarea[name=body]")  # fetched from comments:form
    phone.fill("input[name=name]", "Ada Reader")
    phone.fill("input[name=email]", "ada@example.org")
    phone.fill("textarea[name=body]", "Finally! I walked across this morning.\n\nWell done.")
    phone.locator("#comments").screenshot(path=str(artifacts / "comments-form-phone.png"))
    phone.click("button:has-text('Post comment')")
    phone.wait_for_selector("text=awaiting moderation")
    assert phone.locator(".comment-badge").inner_text() == "Awaiting moderation"
    phone.locator("#comments").screenshot(path=str(artifacts / "comments-posted-phone.png"))

    comment = Comment.objects.get(name="Ada Reader")
    assert comment.status == "pending"

    phone.reload()
    assert "I walked across this morning" not in phone.content()

    # The moderator clears the queue from the keyboard.
    login(page, "moderator")
    page.goto("/admin/comments/comment/")
    page.wait_for_selector("#result_list tbody tr[tabindex='-1']")
    page.screenshot(path=str(artifacts / "moderation-queue.png"), full_page=True)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 4
    for _ in range(4):  # the first j moves focus to the first comment
        page.keyboard.press("j")
    current = page.locator("#result_list tbody tr:focus")
    expect(current).to_contain_text("I walked across this morning", use_inner_text=True)
    page.keyboard.press("a")
    page.wait_for_selector(".messagelist")
    # (moderation.js takes the confirmation out and puts it back to have it read out.)
    expect(page.locator(".messagelist")).to_contain_text(
        f"Comment #{comment.pk} approved.", use_inner_text=True
    )
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert comment.events.filter(actor__username="moderator", to_status="approved").exists()

    # Focus went to the row where the decided comment was; r rejects that one.
    page.wait_for_selector("#result_list tbody tr:focus-within")
    page.keyboard.press("r")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    page.wait_for_selector(".messagelist")
    page.screenshot(path=str(artifacts / "moderation-queue-after.png"), full_page=True)

    # The reader reloads and sees their comment.
    phone.reload()
    phone.wait_for_selector(f"#comment-{comment.pk}")
    expect(phone.locator("#comments")).to_contain_text(
        "I walked across this morning", use_inner_text=True
    )
    phone.locator("#comments").screenshot(path=str(artifacts / "comments-section-phone.png"))


def test_reply_and_report_without_leaving_the_page(phone, settings):
    settings.COMMENTS_MIN_FORM_SECONDS = 0
    article = ArticleFactory(headline="Library opening hours extended")
    parent = CommentFactory(article=article, name="Sam", body="Will it open on Sundays?")
    form_requests = []
    phone.on(
        "request",
        lambda request: (
            form_requests.append(request.url) if "/comments/form/" in request.url else None
        ),
    )
    phone.goto(article.get_absolute_url())
    phone.click(f"#comment-{parent.pk} >> text=Reply")
    phone.wait_for_selector(".comment-replying:not([hidden])")
    assert "Sam" in phone.locator(".comment-replying").inner_text()
    phone.fill("input[name=name]", "Lee")
    phone.fill("input[name=email]", "lee@example.org")
    phone.fill("textarea[name=body]", "Yes, from noon.")
    phone.click("button:has-text('Post comment')")
    phone.wait_for_selector("text=awaiting moderation")
    assert Comment.objects.get(name="Lee").parent == parent

    phone.click(f"#comment-{parent.pk} >> text=Report")
    phone.wait_for_selector(f"#comment-{parent.pk} input[name=reason]")
    phone.check(f"#comment-{parent.pk} input[value=Spam]")
    phone.click(f"#comment-{parent.pk} button:has-text('Send report')")
    phone.wait_for_selector("text=A moderator will look at this comment")
    assert parent.flags.count() == 1


def test_reply_while_the_form_is_still_on_its_way(phone):
    """The form near the end of a short page is fetched as the page opens. A
    click on Reply before it arrives waits for that request: a second one could
    arrive first and then be replaced, reply and all, by the first."""
    article = ArticleFactory(headline="Swimming pool to reopen")
    parent = CommentFactory(article=article, name="Ana", body="Which day?")
    held, requested = [], []

    def hold_the_first(route):
        requested.append(route.request.url)
        if held:
            route.continue_()
        else:
            held.append(route)

    phone.route("**/comments/form/**", hold_the_first)
    phone.goto(article.get_absolute_url())
    for _ in range(250):
        if held:
            break
        phone.wait_for_timeout(20)
    assert held, "the page did not fetch its comment form as it opened"

    phone.click(f"#comment-{parent.pk} >> text=Reply")
    held[0].continue_()
    phone.wait_for_load_state("networkidle")

    expect(phone.locator(".comment-replying")).to_be_visible()
    expect(phone.locator(".comment-replying")).to_contain_text("Ana")
    expect(phone.locator("input[name=parent]")).to_have_value(str(parent.pk))
    assert len(requested) == 1, requested


def test_comment_form_works_without_javascript(browser, live_server, artifacts, settings):
    settings.COMMENTS_MIN_FORM_SECONDS = 0
    article = ArticleFactory(headline="Bus timetable changes")
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(article.get_absolute_url())
        page.click("text=Write a comment")
        page.screenshot(path=str(artifacts / "comments-form-page-nojs-phone.png"), full_page=True)
        page.fill("input[name=name]", "No Script")
        page.fill("input[name=email]", "noscript@example.org")
        page.fill("textarea[name=body]", "Posted without JavaScript.")
        page.click("button:has-text('Post comment')")
        page.wait_for_selector("text=awaiting moderation")
        assert Comment.objects.get(name="No Script").status == "pending"
    finally:
        context.close()


def test_moderator_reads_a_reported_comment_in_full(page, artifacts, settings, roles):
    UserFactory(username="moderator", groups=["Moderator"])
    article = ArticleFactory(headline="Council tax to rise by five per cent")
    parent = CommentFactory(article=article, name="Kim", body="Who voted for this?")
    comment = CommentFactory(
        article=article,
        parent=parent,
        name="Angry Reader",
        body="Everyone on the council is a crook, see https://example.org/a and "
        "https://example.org/b and https://example.org/c",
        ip_hash="e" * 64,
    )
    comment.flag(reason="Legal: defamatory", reporter_hash="r1")
    comment.moderate("pending", reason="Reader reports: 1")
    login(page, "moderator")
    page.goto(f"/admin/comments/comment/{comment.pk}/change/")
    page.screenshot(path=str(artifacts / "moderation-comment-page.png"), full_page=True)
    assert "Legal: defamatory" in page.content()
    page.fill("#id_moderation_note", "Defamatory claim about named councillors")
    page.click("button[value=reject]")
    page.wait_for_selector(".messagelist")
    comment.refresh_from_db()
    assert comment.status == "rejected"
    assert comment.events.filter(reason="Defamatory claim about named councillors").exists()


def test_dark_theme_and_form_errors_on_a_phone(browser, live_server, artifacts, settings):
    settings.COMMENTS_MIN_FORM_SECONDS = 0
    article = ArticleFactory(headline="Night buses return")
    CommentFactory(article=article, name="Noor", body="About time. https://example.org/night")
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(article.get_absolute_url())
        page.locator("#comments").scroll_into_view_if_needed()
        page.wait_for_selector("textarea[name=body]")
        page.fill("input[name=name]", "Quick Typist")
        page.fill("input[name=email]", "not-an-address")
        page.fill("textarea[name=body]", "My words must survive the error.")
        page.locator("input[name=email]").evaluate("element => element.type = 'text'")
        page.click("button:has-text('Post comment')")
        page.wait_for_selector("text=Please correct the errors below.")
        assert page.input_value("textarea[name=body]") == "My words must survive the error."
        page.locator("#comments").screenshot(path=str(artifacts / "comments-errors-dark-phone.png"))
    finally:
        context.close()
