"""Live coverage at the desk (issue 15): the "post an update" form on a live article's
page, its list of updates with publish, pin and withdraw, and the roles: reporters
write drafts, editors publish."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, LiveUpdate
from tests.articles.desk import change_url, form_data, post_change
from tests.factories import ArticleFactory, AuthorFactory


@pytest.fixture
def story(db):
    return ArticleFactory(
        headline="Election night",
        slug="election-night",
        kind=Article.Kind.LIVE,
        published_at=timezone.now() - datetime.timedelta(hours=1),
    )


def post_url(story):
    return reverse("admin:articles_article_live_post", args=[story.pk])


def action_url(story, update, action):
    return reverse("admin:articles_article_live_action", args=[story.pk, update.pk, action])


def test_a_live_article_page_has_the_post_form_on_top_and_a_story_has_none(client, story, editor):
    client.force_login(editor)
    html = client.get(change_url(story)).content.decode()
    assert 'id="live-desk"' in html and f'action="{post_url(story)}"' in html
    assert html.index('id="live-desk"') < html.index('id="article_form"')
    assert "js/admin-live.js" in html and "Publish update" in html
    plain = ArticleFactory()
    assert 'id="live-desk"' not in client.get(change_url(plain)).content.decode()


def test_an_editor_publishes_an_update_in_one_post(client, story, editor):
    client.force_login(editor)
    author = AuthorFactory(name="Ada Reed")
    response = client.post(
        post_url(story),
        {
            "live-title": "Polls close",
            "live-body": "<p>Counting begins.</p>",
            "live-author": author.pk,
            "_publish": "1",
        },
    )
    assert response.status_code == 302
    update = LiveUpdate.objects.get()
    assert update.status == LiveUpdate.Status.PUBLISHED and update.published_at
    assert update.author == author and update.created_by == editor
    client.logout()
    assert "Counting begins." in client.get(story.get_absolute_url()).content.decode()


def test_a_reporter_drafts_and_cannot_publish(client, story, reporter, editor):
    client.force_login(reporter)
    assert "Publish update" not in client.get(change_url(story)).content.decode()
    response = client.post(
        post_url(story), {"live-body": "<p>Turnout is high.</p>", "_publish": "1"}
    )
    assert response.status_code == 403
    assert not LiveUpdate.objects.exists()
    response = client.post(post_url(story), {"live-body": "<p>Turnout is high.</p>", "_draft": "1"})
    assert response.status_code == 302
    update = LiveUpdate.objects.get()
    assert update.status == LiveUpdate.Status.DRAFT
    assert client.post(action_url(story, update, "publish")).status_code == 403
    assert client.post(action_url(story, update, "pin")).status_code == 403
    client.logout()
    assert "Turnout is high." not in client.get(story.get_absolute_url()).content.decode()
    client.force_login(editor)
    assert client.post(action_url(story, update, "publish")).status_code == 302
    update.refresh_from_db()
    assert update.status == LiveUpdate.Status.PUBLISHED


def test_an_empty_update_is_a_form_error_and_keeps_what_was_typed(client, story, editor):
    client.force_login(editor)
    response = client.post(post_url(story), {"live-title": "", "live-body": "", "_publish": "1"})
    assert response.status_code == 200
    assert "needs a title or some text" in response.content.decode()
    assert not LiveUpdate.objects.exists()
    response = client.post(
        post_url(story),
        {
            "live-title": "Kept title",
            "live-body": '<figure data-embed="https://evil.example/v/1"></figure>',
        },
    )
    assert response.status_code == 200
    assert 'value="Kept title"' in response.content.decode()
    assert not LiveUpdate.objects.exists()


def test_pin_key_event_and_withdraw_from_the_list(client, story, editor):
    client.force_login(editor)
    update = LiveUpdate.objects.create(article=story, body="<p>Exit poll.</p>")
    update.publish(by=editor)
    for action in ("pin", "key"):
        assert client.post(action_url(story, update, action)).status_code == 302
    update.refresh_from_db()
    assert update.pinned and update.key_event
    assert client.post(action_url(story, update, "withdraw")).status_code == 302
    update.refresh_from_db()
    assert update.status == LiveUpdate.Status.WITHDRAWN
    # Withdrawing twice is a message, not an error page.
    response = client.post(action_url(story, update, "withdraw"), follow=True)
    assert "Only a published update can be withdrawn." in response.content.decode()
    assert client.post(action_url(story, update, "explode")).status_code == 404
    assert client.get(action_url(story, update, "pin")).status_code == 405


def test_an_update_of_another_story_or_a_story_is_refused(client, story, editor):
    client.force_login(editor)
    other = ArticleFactory(kind=Article.Kind.LIVE)
    elsewhere = LiveUpdate.objects.create(article=other, body="<p>x</p>")
    assert client.post(action_url(story, elsewhere, "publish")).status_code == 404
    plain = ArticleFactory()
    response = client.post(post_url(plain), {"live-body": "<p>x</p>", "_publish": "1"})
    assert response.status_code == 403
    assert LiveUpdate.objects.count() == 1


def test_editing_an_update_guards_against_lost_edits(client, story, editor):
    client.force_login(editor)
    update = LiveUpdate.objects.create(article=story, title="Before", body="<p>x</p>")
    update.publish(by=editor)
    url = reverse("admin:articles_liveupdate_change", args=[update.pk])
    data = form_data(client.get(url))
    LiveUpdate.objects.get(pk=update.pk).save()  # someone else saved meanwhile
    data["title"] = "Mine"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Someone else saved this update" in response.content.decode()
    assert LiveUpdate.objects.get(pk=update.pk).title == "Before"
    data = form_data(response)
    response = client.post(url, data)
    assert response.status_code == 302
    assert LiveUpdate.objects.get(pk=update.pk).title == "Mine"


def test_a_reporter_cannot_edit_a_published_update(client, story, reporter, editor):
    update = LiveUpdate.objects.create(article=story, body="<p>x</p>")
    update.publish(by=editor)
    client.force_login(reporter)
    url = reverse("admin:articles_liveupdate_change", args=[update.pk])
    response = client.post(url, {"title": "Changed", "body": "<p>y</p>"})
    assert response.status_code in (302, 403)
    assert LiveUpdate.objects.get(pk=update.pk).title == ""


def test_an_article_becomes_live_coverage_from_its_form(client, editor):
    client.force_login(editor)
    article = ArticleFactory()
    response = post_change(client, article, kind="live")
    assert response.status_code == 302, response.content.decode()[:3000]
    article.refresh_from_db()
    assert article.kind == Article.Kind.LIVE


def test_an_edit_without_its_version_is_refused(client, story, editor):
    client.force_login(editor)
    update = LiveUpdate.objects.create(article=story, title="Before", body="<p>x</p>")
    url = reverse("admin:articles_liveupdate_change", args=[update.pk])
    data = form_data(client.get(url))
    for version in (None, ""):
        sent = {**data, "title": "Mine"}
        if version is None:
            sent.pop("loaded_version")
        else:
            sent["loaded_version"] = version
        response = client.post(url, sent)
        assert response.status_code == 200
        assert LiveUpdate.objects.get(pk=update.pk).title == "Before"


def test_an_update_nested_thousands_deep_is_a_form_error_before_sanitising(
    client, story, editor, monkeypatch
):
    """Issue 17, item 8, for live updates: the same limit, before any parser runs."""
    from articles import richtext

    runs = []
    real = richtext._clean_once
    monkeypatch.setattr(richtext, "_clean_once", lambda text: runs.append(1) or real(text))
    client.force_login(editor)
    deep = "<ul><li>" * 60_000 + "deep" + "</li></ul>" * 60_000
    response = client.post(
        post_url(story), {"live-title": "Deep", "live-body": deep, "_publish": "1"}
    )
    assert response.status_code == 200
    assert "nested more than 64 levels deep" in response.content.decode()
    assert runs == []
    assert not LiveUpdate.objects.exists()
