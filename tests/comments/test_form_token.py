"""The comment form's token serves one post: a replay, from any address, gets a
"reload the form" answer with its text kept, and stores nothing."""

import re
import threading

import pytest
from django.db import IntegrityError, connection
from django.test import Client

from comments.forms import CommentForm
from comments.models import Comment
from tests.comments.conftest import aged_token, post_comment
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def token_in(html):
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_a_form_serves_one_post_and_a_replay_is_told_to_reload(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 0
    token = aged_token(article)
    assert post_comment(client, article, token=token, body="My first words").status_code == 200
    replay = post_comment(
        client, article, ip="198.51.100.99", token=token, body="Replayed words", fetch=True
    )
    assert replay.status_code == 400
    html = replay.content.decode()
    assert "already been used to post a comment" in html
    assert "Replayed words" in html  # the text is kept
    assert token_in(html) != token  # and the form was reloaded with a fresh token
    assert Comment.objects.count() == 1


def test_a_replayed_form_is_not_spent_by_a_refused_post(client, article):
    token = aged_token(article)
    assert post_comment(client, article, token=token, email="broken").status_code == 400
    assert post_comment(client, article, token=token).status_code == 200


def test_a_replay_from_a_signed_in_reader_is_refused_too(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 0
    client.force_login(UserFactory(username="reader"))
    token = aged_token(article)
    assert post_comment(client, article, token=token).status_code == 200
    assert post_comment(client, article, token=token, body="Again").status_code == 400


def test_each_form_gets_its_own_token(client, article):
    url = f"/comments/form/{article.pk}/"
    first = token_in(client.get(url).content.decode())
    second = token_in(client.get(url).content.decode())
    assert first != second


def test_the_database_refuses_two_comments_from_one_form(article):
    CommentFactory(article=article, form_nonce="n" * 22)
    with pytest.raises(IntegrityError):
        CommentFactory(article=article, form_nonce="n" * 22)


def test_comments_without_a_form_share_the_empty_nonce(article):
    CommentFactory.create_batch(2, article=article)
    assert Comment.objects.filter(form_nonce="").count() == 2


def test_a_token_from_before_tokens_were_spent_asks_for_a_reload(client, article):
    from django.core import signing

    old = signing.TimestampSigner(salt="comments.form-token").sign(str(article.pk))
    response = post_comment(client, article, token=old, body="Written before the upgrade")
    assert response.status_code == 400
    assert "Written before the upgrade" in response.content.decode()
    assert not Comment.objects.exists()


def test_the_form_builds_the_unsaved_comment_that_moderation_reads(article):
    parent = CommentFactory(article=article)
    form = CommentForm(
        {
            "name": "  Ada  ",
            "email": "Ada@Example.org",
            "body": "Words",
            "parent": parent.pk,
            "token": aged_token(article, 30),
            "website": "bot text",
        },
        article=article,
    )
    assert form.is_valid(), form.errors
    comment = form.get_comment(ip_hash="h" * 64, user_agent="x" * 900)
    assert comment.pk is None
    assert (comment.article, comment.parent, comment.name, comment.email) == (
        article,
        parent,
        "Ada",
        "ada@example.org",
    )
    assert comment.ip_hash == "h" * 64 and len(comment.user_agent) == 500
    assert comment.form_nonce and comment.form_age == pytest.approx(30, abs=2)
    assert comment.honeypot == "bot text"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_form_posted_twice_at_the_same_moment_stores_one_comment(settings):
    """Both posts pass the form's check before either is stored; the unique nonce
    lets the database keep exactly one, and the other reader is told to reload."""
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 0
    article = ArticleFactory()
    token = aged_token(article)
    barrier = threading.Barrier(6)
    statuses = []

    def post(number):
        barrier.wait()
        try:
            response = post_comment(
                Client(), article, ip=f"192.0.2.{number + 1}", token=token, body=f"Race {number}"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 400, 400, 400, 400, 400]
    assert Comment.objects.filter(article=article).count() == 1
