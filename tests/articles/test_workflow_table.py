"""The workflow is one table (articles/workflow.py): the model, the change form and its
buttons give the same answer for every role, status and action, and every step taken is
kept as an ArticleEvent."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import revisions, workflow
from articles.models import Article, ArticleEvent
from tests.articles.desk import change_url, form_data
from tests.factories import ArticleFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

STATUSES = ["draft", "review", "scheduled", "live", "expired", "withdrawn"]
ROLES = ["own_reporter", "other_reporter", "editor", "moderator"]
ACTIONS = ["submit", "publish", "schedule", "return_to_draft", "withdraw"]

# Written out by hand, so a change to the table shows here as a decision.
ALLOWED = {
    ("own_reporter", "draft"): {"submit"},
    ("own_reporter", "review"): {"return_to_draft"},
    ("editor", "draft"): {"submit", "publish", "schedule"},
    ("editor", "review"): {"publish", "schedule", "return_to_draft"},
    ("editor", "scheduled"): {"publish", "schedule", "return_to_draft", "withdraw"},
    ("editor", "live"): {"withdraw"},
    ("editor", "expired"): {"withdraw"},
    ("editor", "withdrawn"): {"publish", "schedule"},
}


def make_article(status, writer):
    traits = {
        "draft": {"draft": True},
        "review": {"review": True},
        "scheduled": {"scheduled": True},
        "live": {},
        "expired": {"expires_at": timezone.now() - datetime.timedelta(minutes=1)},
        "withdrawn": {"withdrawn": True},
    }[status]
    article = ArticleFactory(created_by=writer, **traits)
    assert article.desk_status[0] == status
    return article


@pytest.fixture
def people(reporter, editor, moderator):
    return {
        "writer": reporter,
        "own_reporter": reporter,
        "other_reporter": UserFactory(username="other", groups=["Reporter"]),
        "editor": editor,
        "moderator": moderator,
    }


@pytest.fixture
def boss():
    client = Client()
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def by_model(article, action, user):
    try:
        if action == "schedule":
            article.schedule(timezone.now() + datetime.timedelta(days=2), by=user)
        else:
            getattr(article, action)(by=user)
    except (PermissionDenied, ValidationError):
        return False
    return True


def by_form(article, action, user, boss):
    """The change form POSTed as the user, with the button pressed: did the step happen?"""
    data = form_data(boss.get(change_url(article)))
    future = timezone.localtime() + datetime.timedelta(days=2)
    data.update(_workflow=action, checklist_seen="True")
    if action == "schedule":
        data.update(
            published_at_0=future.strftime("%Y-%m-%d"),
            published_at_1=future.strftime("%H:%M:%S"),
        )
    client = Client()
    client.force_login(user)
    client.post(change_url(article), data)
    return ArticleEvent.objects.filter(article=article, action=action).exists()


def buttons(article, user):
    client = Client()
    client.force_login(user)
    response = client.get(change_url(article))
    if response.status_code != 200:
        return set()
    return set(re.findall(r'name="_workflow" value="([a-z_]+)"', response.content.decode()))


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
def test_model_form_and_buttons_give_the_table_answer(role, status, people, boss):
    user = people[role]
    expected = ALLOWED.get((role, status), set())
    shown = buttons(make_article(status, people["writer"]), user)
    for action in ACTIONS:
        table = workflow.refusal(user, make_article(status, people["writer"]), action) is None
        model = by_model(make_article(status, people["writer"]), action, user)
        form = by_form(make_article(status, people["writer"]), action, user, boss)
        answers = {"table": table, "model": model, "form": form, "button": action in shown}
        assert set(answers.values()) == {action in expected}, (action, answers)


def test_a_withdrawn_story_is_published_again_not_returned_to_draft(editor):
    article = ArticleFactory(withdrawn=True)
    with pytest.raises(ValidationError, match="withdrawn"):
        article.return_to_draft(by=editor)
    assert Article.objects.get(pk=article.pk).status == Article.Status.WITHDRAWN
    article.publish(by=editor)
    assert Article.objects.get(pk=article.pk).is_live


def test_a_refused_step_writes_nothing(reporter):
    article = ArticleFactory(review=True, created_by=reporter)
    with pytest.raises(PermissionDenied):
        article.publish(by=reporter)
    assert not ArticleEvent.objects.exists()
    assert Article.objects.get(pk=article.pk).status == Article.Status.REVIEW


def test_each_step_is_kept_with_who_and_from_where(reporter, editor):
    article = ArticleFactory(draft=True, created_by=reporter)
    article.submit(by=reporter)
    article.publish(by=editor)
    article.withdraw(by=editor)
    events = list(
        article.events.order_by("created_at", "id").values_list("action", "actor", "detail")
    )
    assert events == [
        ("submit", reporter.pk, "Draft → In review"),
        ("publish", editor.pk, "In review → Live"),
        ("withdraw", editor.pk, "Live → Withdrawn"),
    ]


def test_the_admin_message_comes_from_the_table(client, editor):
    article = ArticleFactory(review=True)
    client.force_login(editor)
    from tests.articles.desk import post_change

    response = post_change(client, article, "publish", checklist_seen="True")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [workflow.TRANSITIONS["publish"].done.format(article=article, when="")]


def test_restore_creation_and_deletion_are_kept(client, editor, superuser):
    article = ArticleFactory(draft=True, headline="First words")
    first = revisions.record(article, None)
    revisions.restore(first, by=editor)
    assert article.events.filter(action="restore", actor=editor).exists()

    client.force_login(superuser)
    response = client.post(
        reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    deleted = ArticleEvent.objects.get(action="delete")
    assert deleted.article is None
    assert deleted.actor == superuser
    assert "First words" in deleted.detail
    # Read across the desk, after the story is gone.
    page = client.get(reverse("admin:articles_articleevent_changelist")).content.decode()
    assert "First words" in page


def test_a_new_story_begins_its_history(client, reporter):
    from tests.articles.desk import add_url, new_article_data

    client.force_login(reporter)
    data = new_article_data(client, _workflow="submit")
    client.post(add_url(), data)
    article = Article.objects.get(slug=data["slug"])
    assert list(article.events.order_by("created_at", "id").values_list("action", flat=True)) == [
        "create",
        "submit",
    ]


def test_the_history_is_read_on_the_revisions_page(client, reporter, editor):
    article = ArticleFactory(draft=True, created_by=reporter)
    article.submit(by=reporter)
    client.force_login(editor)
    page = client.get(reverse("admin:articles_article_revisions", args=[article.pk]))
    assert page.status_code == 200
    assert "Submitted for review" in page.content.decode()
    assert "Draft → In review" in page.content.decode()


def test_reporters_read_the_history_but_never_write_it(client, reporter):
    client.force_login(reporter)
    assert client.get(reverse("admin:articles_articleevent_changelist")).status_code == 200
    assert client.get(reverse("admin:articles_articleevent_add")).status_code == 403
