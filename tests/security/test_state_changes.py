"""Every state change is a POST with a CSRF token, checked on the server."""

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Revision
from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory


@pytest.fixture
def strict(db):
    """A browser whose requests Django checks for CSRF, as a real one's are."""
    return Client(enforce_csrf_checks=True)


def test_moderating_needs_post_and_a_token(strict, moderator):
    comment = CommentFactory(status=Comment.Status.PENDING)
    strict.force_login(moderator)
    url = reverse("admin:comments_comment_moderate", args=[comment.pk])
    assert strict.get(url, {"moderate": "approve"}).status_code == 405
    assert strict.post(url, {"moderate": "approve"}).status_code == 403
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert not comment.events.exists()


def test_bulk_moderation_without_a_token_is_refused(strict, moderator):
    comment = CommentFactory(status=Comment.Status.PENDING)
    strict.force_login(moderator)
    response = strict.post(
        reverse("admin:comments_comment_changelist"),
        {"action": "approve", "_selected_action": [comment.pk], "index": 0},
    )
    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING


def test_restoring_a_revision_needs_post_and_a_token(strict, editor):
    article = ArticleFactory(body="<p>Current words.</p>")
    old = Revision.objects.create(article=article, data={"body": "<p>Old words.</p>"})
    strict.force_login(editor)
    url = reverse("admin:articles_article_restore", args=[article.pk, old.pk])
    assert strict.get(url).status_code == 405
    assert strict.post(url).status_code == 403
    article.refresh_from_db()
    assert article.body == "<p>Current words.</p>"


def test_a_moderator_cannot_restore_or_publish(client, moderator):
    article = ArticleFactory(draft=True, body="<p>Draft.</p>")
    old = Revision.objects.create(article=article, data={"body": "<p>Old.</p>"})
    client.force_login(moderator)
    url = reverse("admin:articles_article_restore", args=[article.pk, old.pk])
    assert client.post(url).status_code in {403, 404}
    article.refresh_from_db()
    assert article.body == "<p>Draft.</p>"


def test_comment_posts_and_reports_need_a_token(strict):
    comment = CommentFactory()
    data = {"name": "Ada", "email": "ada@example.org", "body": "Forged from another site."}
    assert strict.post(reverse("comments:post", args=[comment.article_id]), data).status_code == 403
    report = strict.post(reverse("comments:flag", args=[comment.pk]), {"reason": "Spam"})
    assert report.status_code == 403
    assert not comment.flags.exists()
    assert not Comment.objects.filter(body="Forged from another site.").exists()


def test_logging_out_is_a_post(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:logout")).status_code == 405
    assert "_auth_user_id" in client.session
