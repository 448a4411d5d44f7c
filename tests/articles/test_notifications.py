"""Notifications: the people a story waits for, or whose story moved, are told; each
only sees their own; e-mail goes after the commit, never holding the action up."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from articles.models import Notification
from tests.articles.desk import post_change
from tests.factories import ArticleFactory, AuthorFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def told(verb):
    return sorted(
        Notification.objects.filter(verb=verb).values_list("recipient__username", flat=True)
    )


@pytest.fixture
def desk(reporter, editor):
    for user in (reporter, editor):
        user.email = f"{user.username}@example.org"
        user.save()
    other_editor = UserFactory(username="night-editor", groups=["Editor"], email="n@example.org")
    return {"reporter": reporter, "editor": editor, "other_editor": other_editor}


def test_a_submitted_story_tells_the_editors_and_mails_them_after_commit(
    desk, django_capture_on_commit_callbacks
):
    story = ArticleFactory(draft=True, created_by=desk["reporter"], headline="Ferry strike")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        story.submit(by=desk["reporter"])
        assert mail.outbox == []  # nothing is sent before the commit
    assert callbacks
    assert told("submitted") == ["editor", "night-editor"]
    assert sorted(m.to[0] for m in mail.outbox) == ["editor@example.org", "n@example.org"]
    assert "Ferry strike" in mail.outbox[0].subject
    assert reverse("admin:articles_article_change", args=[story.pk]) in mail.outbox[0].body


def test_a_refused_step_tells_nobody(desk, django_capture_on_commit_callbacks):
    story = ArticleFactory(review=True, created_by=desk["reporter"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        story.publish(by=desk["reporter"])
    assert not Notification.objects.exists() and mail.outbox == []


def test_publishing_and_returning_tell_the_writers_not_the_editor(desk):
    bylined = UserFactory(username="stringer")
    story = ArticleFactory(
        review=True, created_by=desk["reporter"], authors=[AuthorFactory(user=bylined)]
    )
    story.return_to_draft(by=desk["editor"])
    assert told("returned") == ["reporter", "stringer"]
    story.submit(by=desk["reporter"])
    story.publish(by=desk["editor"])
    assert told("published") == ["reporter", "stringer"]


def test_an_assignment_tells_the_assignee_only(client, desk):
    story = ArticleFactory(draft=True)
    client.force_login(desk["editor"])
    assert post_change(client, story, assignee=desk["reporter"].pk).status_code == 302
    assert told("assigned") == ["reporter"]


def test_each_person_reads_only_their_own(client, desk):
    story = ArticleFactory(draft=True, created_by=desk["reporter"], headline="Bridge closes")
    story.submit(by=desk["reporter"])
    mine = Notification.objects.get(recipient=desk["editor"])
    theirs = Notification.objects.get(recipient=desk["other_editor"])
    client.force_login(desk["editor"])
    listing = client.get(reverse("admin:articles_notification_changelist"))
    assert listing.status_code == 200
    assert listing.content.decode().count("“Bridge closes”</a>") == 1
    other = reverse("admin:articles_notification_change", args=[theirs.pk])
    assert client.get(other).status_code in (302, 403, 404)
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "1 unread notification" in dashboard

    client.post(
        reverse("admin:articles_notification_changelist"),
        {"action": "mark_read", "_selected_action": [mine.pk, theirs.pk]},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert "No unread notifications" in client.get(reverse("admin:index")).content.decode()


def test_the_admin_header_counts_the_unread_on_every_page(client, desk):
    ArticleFactory(draft=True, created_by=desk["reporter"]).submit(by=desk["reporter"])
    client.force_login(desk["editor"])
    for url in (reverse("admin:index"), reverse("admin:articles_article_changelist")):
        html = client.get(url).content.decode()
        assert 'class="desk-inbox">Notifications <span class="desk-inbox-count">1</span>' in html
    client.force_login(UserFactory(username="mod", groups=["Moderator"]))
    assert "desk-inbox" not in client.get(reverse("admin:index")).content.decode()
