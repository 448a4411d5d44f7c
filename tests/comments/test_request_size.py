"""Oversized posts are refused from their declared size, before anything reads the
body, and count against the address like any other post."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from comments.models import Comment, CommentFlag
from tests.comments.conftest import comment_data, post_comment
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def unread_post(client, url, declared, ip="203.0.113.7"):
    """A post declaring `declared` bytes but carrying only a few: reading the body
    would fail the request (the test client refuses to read past what it holds)."""
    return client.generic(
        "POST", url, b"body=x", content_type=FORM, CONTENT_LENGTH=str(declared), REMOTE_ADDR=ip
    )


def test_an_oversized_comment_is_refused_unread_with_413(client, article):
    response = unread_post(client, reverse("comments:post", args=[article.pk]), 5_000_000)
    assert response.status_code == 413
    assert "far too long" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_refused_oversized_post_counts_against_the_address(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 30
    url = reverse("comments:post", args=[article.pk])
    assert unread_post(client, url, 5_000_000).status_code == 413
    assert post_comment(client, article).status_code == 429
    assert post_comment(client, article, ip="203.0.113.8").status_code == 200


def test_oversized_posts_fill_the_hourly_cap(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 0
    settings.COMMENTS_RATE_LIMIT_HOURLY = 2
    url = reverse("comments:post", args=[article.pk])
    for _ in range(2):
        assert unread_post(client, url, 1_000_000).status_code == 413
    response = post_comment(client, article)
    assert response.status_code == 429
    assert "in the last hour" in response.content.decode()


def test_an_over_long_body_within_the_size_limit_counts_too(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 30
    response = post_comment(client, article, body="x" * 5001)
    assert response.status_code == 400
    assert post_comment(client, article).status_code == 429


def test_the_longest_comment_in_the_widest_characters_still_fits(client, article, settings):
    body = "\U0001f600" * settings.COMMENTS_MAX_LENGTH
    data = urlencode({**comment_data(article), "name": "\U0001f600" * 100, "body": body})
    response = client.post(reverse("comments:post", args=[article.pk]), data, content_type=FORM)
    assert response.status_code == 200
    assert Comment.objects.get().body == body


def test_an_oversized_report_is_refused_unread(client):
    comment = CommentFactory()
    response = unread_post(client, reverse("comments:flag", args=[comment.pk]), 100_000)
    assert response.status_code == 413
    assert not CommentFlag.objects.exists()


def test_other_pages_keep_the_site_wide_limit(client):
    response = client.post("/search/", {"q": "x" * 100_000})
    assert response.status_code != 413
