"""Retention purge and erasure: purge_comment_data."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from comments.models import BlockedCommenter, Comment
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def test_old_addresses_and_user_agents_are_purged():
    old = CommentFactory(ip_hash="a" * 64, user_agent="Old browser", created_at=days_ago(91))
    recent = CommentFactory(ip_hash="b" * 64, user_agent="New browser", created_at=days_ago(89))
    call_command("purge_comment_data")
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.ip_hash, old.user_agent) == ("", "")
    assert (recent.ip_hash, recent.user_agent) == ("b" * 64, "New browser")
    assert old.body and old.name


def test_retention_comes_from_the_option_and_the_setting(settings, capsys):
    comment = CommentFactory(ip_hash="a" * 64, created_at=days_ago(10))
    settings.COMMENTS_RETENTION_DAYS = 30
    call_command("purge_comment_data")
    comment.refresh_from_db()
    assert comment.ip_hash
    call_command("purge_comment_data", "--days", "5", "--dry-run")
    comment.refresh_from_db()
    assert comment.ip_hash
    assert "Would forget" in capsys.readouterr().out
    call_command("purge_comment_data", "--days", "5")
    comment.refresh_from_db()
    assert comment.ip_hash == ""


def test_erasure_removes_name_and_email_everywhere():
    mine = [
        CommentFactory(name="Jo Bloggs", email="Jo@Example.org"),
        CommentFactory(name="Jo B", email="jo@example.org", status="spam"),
    ]
    theirs = CommentFactory(name="Someone", email="someone@example.org")
    BlockedCommenter.objects.create(email="jo@example.org")
    call_command("purge_comment_data", "--email", "jo@example.org")
    for comment in mine:
        comment.refresh_from_db()
        assert (comment.name, comment.email) == ("", "")
        assert comment.body
        assert comment.display_name == "Anonymous"
    theirs.refresh_from_db()
    assert theirs.email == "someone@example.org"
    assert Comment.objects.count() == 3
    assert not BlockedCommenter.objects.filter(email="jo@example.org").exists()


def test_erasure_refuses_something_that_is_not_an_address():
    with pytest.raises(CommandError):
        call_command("purge_comment_data", "--email", "not an address")


def test_erasure_reaches_the_thread_markup(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    comment = CommentFactory(name="Jo Bloggs", email="jo@example.org", body="Still here")
    assert "Jo Bloggs" in comment.html and "Jo Bloggs" in comment.html_closed
    call_command("purge_comment_data", "--email", "jo@example.org")
    comment.refresh_from_db()
    assert "Jo Bloggs" not in comment.html + comment.html_closed
    assert "Anonymous" in comment.html
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert "Still here" in page and "Jo Bloggs" not in page
