"""A reporter writes and submits an article with the rich-text editor; an editor schedules it."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article
from tests.e2e.conftest import login, logout
from tests.factories import SectionFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_reporter_writes_and_submits_then_editor_schedules(page, artifacts, roles):
    UserFactory(username="reporter", groups=["Reporter"])
    UserFactory(username="editor", groups=["Editor"])
    SectionFactory(name="News", slug="news")

    # The reporter writes a story in the rich-text editor.
    login(page, "reporter")
    page.goto("/admin/articles/article/add/")
    page.fill("#id_headline", "Harbour wall to be rebuilt after storm")
    page.locator("#id_slug").click()  # the slug fills itself in from the headline
    expect(page.locator("#id_slug")).to_have_value("harbour-wall-to-be-rebuilt-after-storm")
    page.fill("#id_standfirst", "Repairs start in spring and will take a year.")
    editor = page.locator(".ProseMirror[contenteditable=true]")
    editor.click()
    page.keyboard.type("The council agreed the repairs on Tuesday.")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+b")
    page.keyboard.type("Work starts in March.")
    page.keyboard.press("Control+b")
    expect(page.locator("[data-word-count]")).to_have_text(
        re.compile(r"^11 words"), use_inner_text=True
    )
    page.screenshot(path=str(artifacts / "editor-change-form.png"), full_page=True)

    page.click("button[name=_workflow][value=submit]")
    page.wait_for_url("**/admin/articles/article/")
    assert "is now waiting for review" in page.locator(".messagelist").inner_text()

    article = Article.objects.get(slug="harbour-wall-to-be-rebuilt-after-storm")
    assert article.status == Article.Status.REVIEW
    assert article.created_by.username == "reporter"
    assert "<p>The council agreed the repairs on Tuesday.</p>" in article.body
    assert "<strong>Work starts in March.</strong>" in article.body
    assert article.revisions.count() == 1
    logout(page)

    # The editor finds it on the dashboard and schedules it for tomorrow morning.
    login(page, "editor")
    page.goto("/admin/")
    page.click("text=Harbour wall to be rebuilt after storm")
    when = timezone.localtime() + datetime.timedelta(days=1)
    page.fill("#id_published_at_0", when.strftime("%d/%m/%Y"))
    page.fill("#id_published_at_1", "07:30:00")
    page.click("button[name=_workflow][value=schedule]")
    # It has no section and no byline yet: the checklist says so, and the same button
    # again schedules it as it is.
    expect(page.locator(".errorlist").first).to_contain_text(
        "missing a section, a byline", use_inner_text=True
    )
    page.click("button[name=_workflow][value=schedule]")
    page.wait_for_url("**/admin/articles/article/")
    assert "is scheduled" in page.locator(".messagelist").inner_text()

    article.refresh_from_db()
    assert article.is_scheduled
    assert timezone.localtime(article.published_at).strftime("%H:%M") == "07:30"
    badge = page.locator("tr", has_text="Harbour wall").locator(".desk-badge")
    assert badge.inner_text().startswith("Scheduled for")
    page.screenshot(path=str(artifacts / "editor-change-list.png"), full_page=True)


def test_editor_publishes_after_confirming_and_readers_see_it(page, artifacts, roles):
    from tests.factories import ArticleFactory, AuthorFactory

    UserFactory(username="editor", groups=["Editor"])
    article = ArticleFactory(
        review=True, headline="Library opens on Sundays", authors=[AuthorFactory()]
    )
    login(page, "editor")
    page.goto(f"/admin/articles/article/{article.pk}/change/")

    # Dismissing the confirmation publishes nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("button[name=_workflow][value=publish]")
    assert page.url.endswith(f"/admin/articles/article/{article.pk}/change/")
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[name=_workflow][value=publish]")
    page.wait_for_url("**/admin/articles/article/")
    assert "is live" in page.locator(".messagelist").inner_text()
    article.refresh_from_db()
    assert article.is_live

    logout(page)
    response = page.goto(article.get_absolute_url())
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Library opens on Sundays"
