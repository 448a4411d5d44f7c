"""Readers' reports and the moderators' e-mail."""

import pytest
from django.core import mail
from django.urls import reverse

from comments.models import Comment, CommentFlag, keyed_hash
from comments.notifications import check_queue
from tests.comments.conftest import post_comment
from tests.factories import CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def report(client, comment, ip="203.0.113.50", reason="Abuse", details="", fetch=False):
    headers = {"X-Requested-With": "fetch"} if fetch else {}
    return client.post(
        reverse("comments:flag", args=[comment.pk]),
        {"reason": reason, "details": details},
        REMOTE_ADDR=ip,
        headers=headers,
    )


def test_report_form_is_uncached_and_carries_a_token(client):
    comment = CommentFactory()
    response = client.get(reverse("comments:flag", args=[comment.pk]))
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert "no-cache" in response["Cache-Control"]


def test_one_report_per_reader_per_comment(client, moderator, django_capture_on_commit_callbacks):
    comment = CommentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = report(client, comment, details="rude to another reader")
    assert first.status_code == 200
    second = report(client, comment, reason="Spam")
    assert second.status_code == 409
    assert "already reported" in second.content.decode()
    flag = CommentFlag.objects.get()
    assert flag.reason == "Abuse: rude to another reader"
    assert flag.reporter_hash == keyed_hash("reporter", "ip:203.0.113.50")
    assert "203.0.113.50" not in flag.reporter_hash


def test_signed_in_reader_is_one_reporter_from_any_address(client):
    comment = CommentFactory()
    client.force_login(UserFactory(username="reader"))
    assert report(client, comment, ip="192.0.2.1").status_code == 200
    assert report(client, comment, ip="192.0.2.2").status_code == 409


def test_reports_always_reach_a_moderator(client, moderator, django_capture_on_commit_callbacks):
    comment = CommentFactory(body="Something offensive")
    with django_capture_on_commit_callbacks(execute=True):
        report(client, comment, reason="Hate")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert moderator.email in message.to
    assert "Hate" in message.body
    assert "Something offensive" in message.body


def test_threshold_sends_the_comment_back_to_the_queue(client, settings):
    settings.COMMENTS_FLAG_THRESHOLD = 2
    comment = CommentFactory()
    report(client, comment, ip="192.0.2.1")
    comment.refresh_from_db()
    assert comment.status == "approved"
    report(client, comment, ip="192.0.2.2")
    comment.refresh_from_db()
    assert comment.status == "pending"
    event = comment.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("approved", "pending", None)
    assert "Reader reports: 2" in event.reason
    assert "Reader reports: 2" in comment.moderation_reason


def test_only_shown_comments_can_be_reported(client):
    for status in ("pending", "rejected", "spam"):
        comment = CommentFactory(status=status)
        assert report(client, comment).status_code == 404
    assert not CommentFlag.objects.exists()


def test_mail_failure_never_loses_a_comment_or_report(
    client, article, moderator, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # nothing listens: the connection is refused
    settings.EMAIL_TIMEOUT = 2
    settings.COMMENTS_QUEUE_ALERT_THRESHOLD = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = post_comment(client, article, body="Kept despite the mail outage")
    assert response.status_code == 200
    assert Comment.objects.filter(body="Kept despite the mail outage").exists()
    approved = CommentFactory(article=article)
    with django_capture_on_commit_callbacks(execute=True):
        assert report(client, approved).status_code == 200
    assert CommentFlag.objects.filter(comment=approved).exists()
    assert "Could not e-mail moderators" in caplog.text


def test_queue_alert_at_most_once_per_interval(moderator, settings):
    settings.COMMENTS_QUEUE_ALERT_THRESHOLD = 3
    CommentFactory.create_batch(2, status="pending")
    assert check_queue() is False
    CommentFactory(status="pending")
    assert check_queue() is True
    assert check_queue() is False
    assert len(mail.outbox) == 1
    assert "3 comments are waiting" in mail.outbox[0].subject


def test_queue_alert_is_sent_after_a_post_commits(
    client, article, moderator, settings, django_capture_on_commit_callbacks
):
    settings.COMMENTS_QUEUE_ALERT_THRESHOLD = 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_comment(client, article)
    assert callbacks
    assert len(mail.outbox) == 1


def test_reports_from_one_address_are_capped(client, settings):
    settings.COMMENTS_RATE_LIMIT_HOURLY = 2
    comments = CommentFactory.create_batch(3)
    assert report(client, comments[0]).status_code == 200
    assert report(client, comments[1]).status_code == 200
    response = report(client, comments[2])
    assert response.status_code == 429
    assert "reports in the last hour" in response.content.decode()
    assert CommentFlag.objects.count() == 2


def test_comments_on_a_closed_article_can_still_be_reported(client):
    from tests.factories import ArticleFactory

    article = ArticleFactory(comments_enabled=False)
    comment = CommentFactory(article=article)
    html = client.get(article.get_absolute_url()).content.decode()
    assert reverse("comments:flag", args=[comment.pk]) in html
    assert f"?parent={comment.pk}" not in html
    assert report(client, comment).status_code == 200


def test_an_approval_starts_the_report_count_afresh(client, moderator, settings):
    """Reports made before a moderator's approval no longer count: after it, a single
    new report cannot pull the comment off the page again."""
    settings.COMMENTS_FLAG_THRESHOLD = 3
    comment = CommentFactory()
    for n in range(3):
        assert report(client, comment, ip=f"192.0.2.{n + 1}").status_code == 200
    comment.refresh_from_db()
    assert comment.status == "pending"
    comment.approve(by=moderator)
    assert report(client, comment, ip="192.0.2.10").status_code == 200
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert report(client, comment, ip="192.0.2.11").status_code == 200
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert report(client, comment, ip="192.0.2.12").status_code == 200
    comment.refresh_from_db()
    assert comment.status == "pending"
    assert "3 since it was last approved" in comment.events.latest("id").reason


def test_addresses_in_one_ipv6_64_are_one_reporter(client):
    comment = CommentFactory()
    assert report(client, comment, ip="2001:db8:1:2::1").status_code == 200
    assert report(client, comment, ip="2001:db8:1:2:ffff:ffff:ffff:fffe").status_code == 409
    assert report(client, comment, ip="2001:db8:1:3::1").status_code == 200


def test_an_ipv4_address_mapped_into_ipv6_is_the_same_reporter(client):
    comment = CommentFactory()
    assert report(client, comment, ip="203.0.113.5").status_code == 200
    assert report(client, comment, ip="::ffff:203.0.113.5").status_code == 409
    assert report(client, comment, ip="203.0.113.6").status_code == 200


def test_addresses_in_one_ipv6_64_share_the_report_cap(client, settings):
    settings.COMMENTS_RATE_LIMIT_HOURLY = 2
    comments = CommentFactory.create_batch(3)
    assert report(client, comments[0], ip="2001:db8:9:9::1").status_code == 200
    assert report(client, comments[1], ip="2001:db8:9:9::2").status_code == 200
    assert report(client, comments[2], ip="2001:db8:9:9::3").status_code == 429
