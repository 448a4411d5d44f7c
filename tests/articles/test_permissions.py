"""The permission matrix: each role by each desk action, through real admin requests.

Refused actions are tried the way an attacker would: a complete, well-formed POST
built from an editor's form, with the forbidden button pressed or field set."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import revisions
from articles.models import Article
from comments.models import Comment
from tests.articles.desk import add_url, change_url, form_data, new_article_data
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

ROLES = ["anonymous", "reporter", "editor", "moderator", "superuser"]
ACTIONS = [
    "view_list",
    "add",
    "edit_own_draft",
    "edit_others",
    "submit",
    "publish",
    "schedule",
    "withdraw",
    "restore",
    "moderate",
]
ALLOWED = {
    "anonymous": set(),
    "reporter": {"view_list", "add", "edit_own_draft", "submit"},
    "editor": set(ACTIONS),
    "moderator": {"moderate"},
    "superuser": set(ACTIONS),
}


@pytest.fixture
def actors(reporter, editor, moderator, superuser):
    return {
        "anonymous": None,
        "reporter": reporter,
        "editor": editor,
        "moderator": moderator,
        "superuser": superuser,
    }


@pytest.fixture
def boss():
    """A superuser's client, used only to build complete form data for crafted POSTs."""
    client = Client()
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def crafted(boss, article, **changes):
    data = form_data(boss.get(change_url(article)))
    data["checklist_seen"] = "True"  # these stories have no byline: publish them as they are
    data.update(changes)
    return data


def act(action, client, user, boss):
    """Try one action; return True when it took effect."""
    own = user
    other = UserFactory(username="someone-else", groups=["Reporter"])
    future = timezone.now() + datetime.timedelta(days=2)
    if action == "view_list":
        response = client.get(reverse("admin:articles_article_changelist"))
        return response.status_code == 200
    if action == "add":
        data = new_article_data(boss)
        client.post(add_url(), data)
        return Article.objects.filter(slug=data["slug"]).exists()
    if action in ("edit_own_draft", "edit_others"):
        author = own if action == "edit_own_draft" else other
        article = ArticleFactory(draft=True, created_by=author)
        client.post(change_url(article), crafted(boss, article, headline="Changed by them"))
        article.refresh_from_db()
        return article.headline == "Changed by them"
    if action == "submit":
        article = ArticleFactory(draft=True, created_by=own)
        client.post(change_url(article), crafted(boss, article, _workflow="submit"))
        return Article.objects.get(pk=article.pk).status == Article.Status.REVIEW
    if action == "publish":
        article = ArticleFactory(review=True, created_by=own)
        data = crafted(boss, article, _workflow="publish", status="published")
        client.post(change_url(article), data)
        return Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED
    if action == "schedule":
        article = ArticleFactory(review=True, created_by=own)
        data = crafted(
            boss,
            article,
            _workflow="schedule",
            published_at_0=future.strftime("%Y-%m-%d"),
            published_at_1=future.strftime("%H:%M:%S"),
        )
        client.post(change_url(article), data)
        return Article.objects.get(pk=article.pk).is_scheduled
    if action == "withdraw":
        article = ArticleFactory(created_by=own)
        client.post(change_url(article), crafted(boss, article, _workflow="withdraw"))
        return Article.objects.get(pk=article.pk).status == Article.Status.WITHDRAWN
    if action == "restore":
        article = ArticleFactory(draft=True, created_by=own, headline="First words")
        first = revisions.record(article, None)
        Article.objects.filter(pk=article.pk).update(headline="Second words")
        url = reverse("admin:articles_article_restore", args=[article.pk, first.pk])
        client.post(url)
        return Article.objects.get(pk=article.pk).headline == "First words"
    if action == "moderate":
        comment = CommentFactory(status=Comment.Status.PENDING)
        client.post(
            reverse("admin:comments_comment_changelist"),
            {"action": "approve", "_selected_action": [comment.pk]},
        )
        comment.refresh_from_db()
        return comment.status == Comment.Status.APPROVED
    raise AssertionError(action)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, action, actors, boss):
    user = actors[role]
    client = Client()
    if user is not None:
        client.force_login(user)
    assert act(action, client, user, boss) is (action in ALLOWED[role])


def test_reporter_cannot_open_a_published_article_for_editing(client, reporter):
    article = ArticleFactory(created_by=reporter)
    client.force_login(reporter)
    response = client.get(change_url(article))
    assert response.status_code == 200  # read-only view
    assert not response.context["has_change_permission"]
    assert client.post(change_url(article), {"headline": "x"}).status_code == 403


def test_reporter_cannot_set_status_or_publication_time_by_crafting_a_post(client, reporter, boss):
    article = ArticleFactory(draft=True, created_by=reporter)
    past = timezone.now() - datetime.timedelta(days=1)
    data = crafted(
        boss,
        article,
        status="published",
        published_at_0=past.strftime("%Y-%m-%d"),
        published_at_1=past.strftime("%H:%M:%S"),
        featured="on",
    )
    client.force_login(reporter)
    response = client.post(change_url(article), data)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.published_at is None
    assert not article.featured


def test_reporter_gets_a_clear_error_when_pressing_publish(client, reporter, boss):
    article = ArticleFactory(review=True, created_by=reporter)
    client.force_login(reporter)
    response = client.post(change_url(article), crafted(boss, article, _workflow="publish"))
    assert response.status_code == 200
    assert "Only an editor may publish" in response.content.decode()


def test_reporter_sees_submit_but_no_publishing_buttons(client, reporter):
    article = ArticleFactory(draft=True, created_by=reporter)
    client.force_login(reporter)
    html = client.get(change_url(article)).content.decode()
    assert 'value="submit"' in html
    for action in ("publish", "schedule", "withdraw"):
        assert f'value="{action}"' not in html


def test_moderator_sees_nothing_of_articles(client, moderator):
    client.force_login(moderator)
    article = ArticleFactory()
    assert client.get(reverse("admin:articles_article_changelist")).status_code == 403
    assert client.get(change_url(article)).status_code == 403
    assert client.get(reverse("admin:articles_image_changelist")).status_code == 403
    assert client.get(reverse("articles:preview", args=[article.pk])).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "Articles" not in index
