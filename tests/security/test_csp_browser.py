"""The strict Content-Security-Policy breaks nothing: the reader's pages, the comment
form, the admin, the rich-text editor and the moderation queue run in Chromium with
no violation of any directive (scripts, styles, images, fonts, connections)."""

import os
from pathlib import Path

import pytest

from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory, ImageFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery-staple"

# Records every violation the page reports, including ones the console never shows.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber} ${event.sample || ""}`);
});
"""


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1300, "height": 900})
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.problems = []
    page.on(
        "console",
        lambda m: (
            page.problems.append(f"console: {m.text}")
            if m.type == "error" and ("Content Security Policy" in m.text or "Refused" in m.text)
            else None
        ),
    )
    page.on("pageerror", lambda error: page.problems.append(f"JavaScript error: {error}"))
    yield page
    context.close()


def visit(page, path):
    response = page.goto(path)
    assert response.status < 400, (path, response.status)
    assert "content-security-policy" in response.headers, path
    page.wait_for_load_state("networkidle")
    return response


def violations(page):
    return page.problems + page.evaluate("window.__csp || []")


def sign_in(page, username):
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(lambda url: "/admin/login/" not in url)


def test_the_readers_pages_and_the_comment_form_run_under_the_policy(page):
    article = ArticleFactory(headline="Bridge reopens", lead_image=ImageFactory())
    CommentFactory(article=article, body="Approved and shown, with https://example.org link")
    for path in ["/", "/search/?q=bridge", f"/section/{article.section.slug}/", "/corrections/"]:
        visit(page, path)
    visit(page, article.get_absolute_url())
    # comments.js fetches the form when the reader scrolls near it.
    page.locator("#comment-form-slot").scroll_into_view_if_needed()
    page.locator("form.comment-form").wait_for()
    page.fill("form.comment-form [name=name]", "Ada")
    page.fill("form.comment-form [name=email]", "ada@example.org")
    page.fill("form.comment-form [name=body]", "Posted from a browser under a strict policy.")
    page.click("form.comment-form button[type=submit]")
    page.wait_for_function(
        "() => !document.querySelector('form.comment-form')"
        " || document.body.innerText.match(/thank/i)"
    )
    assert Comment.objects.filter(body="Posted from a browser under a strict policy.").exists()
    assert violations(page) == [], "\n".join(violations(page))


def test_the_admin_editor_and_moderation_queue_run_under_the_policy(page):
    UserFactory(username="chief", is_staff=True, is_superuser=True)
    article = ArticleFactory(headline="Draft to edit", draft=True)
    comment = CommentFactory(article=ArticleFactory(), status="pending")
    sign_in(page, "chief")
    for path in [
        "/admin/",
        "/admin/articles/article/",
        "/admin/articles/image/add/",
        "/admin/comments/comment/",
        f"/admin/comments/comment/{comment.pk}/change/",
        f"/admin/articles/article/{article.pk}/revisions/",
        "/admin/axes/accessattempt/",
        "/admin/otp_totp/totpdevice/add/",
    ]:
        visit(page, path)
    assert violations(page) == [], "\n".join(violations(page))

    visit(page, f"/admin/articles/article/{article.pk}/change/")
    editor = page.locator(".ProseMirror[contenteditable=true]").first
    editor.wait_for()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("Typed in the editor under a strict policy.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "security-csp-editor.png"), full_page=True)
    page.click("input[name=_continue]")
    page.wait_for_load_state("networkidle")
    article.refresh_from_db()
    assert "Typed in the editor under a strict policy." in article.body
    assert violations(page) == [], "\n".join(violations(page))


def test_the_policy_really_blocks_an_injected_inline_script(page):
    """A control: the listener sees violations, so the empty lists above mean something."""
    visit(page, "/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__pwned = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_function("() => window.__csp.length > 0")
    assert page.evaluate("window.__pwned === undefined")
    assert any("script-src" in v for v in page.evaluate("window.__csp"))
