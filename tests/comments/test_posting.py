"""Readers posting comments: the form, the posting path, closing rules."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment, ModerationEvent, keyed_hash
from tests.comments.conftest import comment_data, post_comment
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_form_is_served_alone_uncached_with_a_csrf_token(client, article):
    response = client.get(
        reverse("comments:form", args=[article.pk]), headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'name="csrfmiddlewaretoken"' in html
    for field in ("name", "email", "body", "parent", "token", "website"):
        assert f'name="{field}"' in html
    assert "no-cache" in response["Cache-Control"]
    assert "private" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_form_page_works_without_javascript(client, article):
    response = client.get(reverse("comments:form", args=[article.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "<form" in html
    assert article.get_absolute_url() in html


def test_valid_comment_waits_in_the_queue_with_reasons(client, article):
    response = post_comment(client, article)
    assert response.status_code == 200
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert "Pre-moderation" in comment.moderation_reason
    assert comment.body == "A thoughtful comment about the bridge."
    assert comment.body_html == "<p>A thoughtful comment about the bridge.</p>"
    event = ModerationEvent.objects.get(comment=comment)
    assert (event.from_status, event.to_status, event.actor) == ("", "pending", None)
    assert "awaiting moderation" in response.content.decode().lower()


def test_address_is_stored_only_as_a_keyed_hash(client, article):
    post_comment(client, article, ip="198.51.100.23", user_agent="x")
    comment = Comment.objects.get()
    assert "198.51.100.23" not in comment.ip_hash
    assert comment.ip_hash == keyed_hash("ip", "198.51.100.23")
    assert len(comment.ip_hash) == 64


def test_extra_post_fields_are_ignored(client, article):
    other = ArticleFactory()
    moderator = UserFactory()
    post_comment(
        client,
        article,
        **{"article": other.pk},
        status="approved",
        moderated_by=moderator.pk,
        moderation_reason="fine",
        ip_hash="chosen",
        body_html="<script>alert(1)</script>",
    )
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert comment.article == article
    assert comment.moderated_by is None
    assert comment.ip_hash != "chosen"
    assert "<script>" not in comment.body_html


def test_form_errors_keep_the_text(client, article):
    response = post_comment(client, article, email="not-an-address", body="Keep me please")
    assert response.status_code == 400
    assert Comment.objects.count() == 0
    html = response.content.decode()
    assert "Keep me please" in html
    assert "valid email" in html.lower()


def test_whitespace_only_body_is_a_form_error(client, article):
    response = post_comment(client, article, body="   \n\t ")
    assert response.status_code == 400
    assert "empty" in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "make",
    [
        lambda: ArticleFactory(draft=True),
        lambda: ArticleFactory(scheduled=True),
        lambda: ArticleFactory(withdrawn=True),
        lambda: ArticleFactory(review=True),
    ],
    ids=["draft", "scheduled", "withdrawn", "review"],
)
def test_post_to_an_article_that_is_not_live_is_refused(client, make):
    article = make()
    response = post_comment(client, article)
    assert response.status_code == 404
    assert "No published article" in response.content.decode()
    assert not Comment.objects.exists()
    form = client.get(reverse("comments:form", args=[article.pk]))
    assert form.status_code == 404


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"comments_enabled": False}, "turned off"),
        (
            {"comments_close_at": timezone.now() - datetime.timedelta(minutes=1)},
            "closed",
        ),
        (
            {"published_at": timezone.now() - datetime.timedelta(days=31)},
            "30 days after publication",
        ),
    ],
    ids=["disabled", "close-at", "site-wide-days"],
)
def test_post_to_a_closed_article_is_refused(client, changes, message):
    article = ArticleFactory(**changes)
    response = post_comment(client, article)
    assert response.status_code == 403
    assert message in response.content.decode()
    assert not Comment.objects.exists()


def test_site_wide_closing_can_be_turned_off(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 0
    article = ArticleFactory(published_at=timezone.now() - datetime.timedelta(days=400))
    assert post_comment(client, article).status_code == 200


def test_reply_to_a_comment_of_another_article_is_refused(client, article):
    elsewhere = CommentFactory(article=ArticleFactory())
    response = post_comment(client, article, parent=elsewhere.pk, body="Sneaky reply")
    assert response.status_code == 400
    assert "not on this article" in response.content.decode()
    assert "Sneaky reply" in response.content.decode()
    assert Comment.objects.filter(article=article).count() == 0


def test_reply_to_a_reply_joins_the_thread(client, article):
    top = CommentFactory(article=article)
    reply = CommentFactory(article=article, parent=top)
    post_comment(client, article, parent=reply.pk, body="Answering the reply")
    new = Comment.objects.get(body="Answering the reply")
    assert new.parent == top


def test_reply_to_an_unapproved_comment_is_refused(client, article):
    hidden = CommentFactory(article=article, status=Comment.Status.PENDING)
    response = post_comment(client, article, parent=hidden.pk)
    assert response.status_code == 400


def test_signed_in_reader_gets_their_name_filled_in(client, article):
    user = UserFactory(username="grace", first_name="Grace", last_name="Hopper")
    client.force_login(user)
    html = client.get(reverse("comments:form", args=[article.pk])).content.decode()
    assert 'value="Grace Hopper"' in html
    post_comment(client, article)
    assert Comment.objects.get().user == user


def test_posting_needs_the_csrf_token_from_the_form(article):
    client = Client(enforce_csrf_checks=True)
    forged = client.post(reverse("comments:post", args=[article.pk]), comment_data(article))
    assert forged.status_code == 403
    assert not Comment.objects.exists()
    form = client.get(reverse("comments:form", args=[article.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = client.post(
        reverse("comments:post", args=[article.pk]),
        {**comment_data(article), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200
    assert Comment.objects.count() == 1


def test_cached_article_page_has_no_token_and_is_the_same_for_everyone(client, article):
    CommentFactory(article=article, body="Already approved words")
    first = client.get(article.get_absolute_url())
    html = first.content.decode()
    assert first.status_code == 200
    assert "csrfmiddlewaretoken" not in html
    assert "Already approved words" in html
    assert reverse("comments:form", args=[article.pk]) in html
    assert not first.cookies
    post_comment(client, article, body="My pending words")
    again = client.get(article.get_absolute_url()).content.decode()
    assert "My pending words" not in again


def test_approval_shows_the_comment_on_the_cached_page(
    client, article, moderator, django_capture_on_commit_callbacks
):
    post_comment(client, article, body="Worth publishing")
    assert "Worth publishing" not in client.get(article.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Comment.objects.get().approve(by=moderator)
    assert "Worth publishing" in client.get(article.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Comment.objects.get().reject(by=moderator)
    assert "Worth publishing" not in client.get(article.get_absolute_url()).content.decode()


def test_expired_form_is_refused_with_a_fresh_one_and_the_text_kept(client, article, settings):
    settings.COMMENTS_FORM_MAX_AGE = 30
    from tests.comments.conftest import aged_token

    response = post_comment(client, article, token=aged_token(article, 120), body="Slow writer")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Slow writer" in html
    assert "too long" in html
    assert not Comment.objects.exists()


def test_email_never_reaches_the_public_page(client, article):
    CommentFactory(article=article, email="secret-person@example.net", name="Open Name")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Open Name" in html
    assert "secret-person@example.net" not in html


def test_closing_rules_live_on_the_article(settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    published = timezone.now() - datetime.timedelta(days=2)
    article = ArticleFactory(published_at=published)
    assert article.comments_close_time == published + datetime.timedelta(days=30)
    assert article.comments_closed_reason is None
    sooner = timezone.now() + datetime.timedelta(hours=1)
    article.comments_close_at = sooner
    assert article.comments_close_time == sooner
    article.comments_close_at = timezone.now() - datetime.timedelta(seconds=1)
    assert article.comments_closed_reason == "Comments on this article are closed."
    settings.COMMENTS_CLOSE_AFTER_DAYS = 0
    article.comments_close_at = None
    assert article.comments_close_time is None
    article.comments_enabled = False
    assert "turned off" in article.comments_closed_reason
