"""Assignment and the budget: who has which story, and the days' plan by section."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import ArticleEvent
from tests.articles.desk import change_url, post_change
from tests.factories import ArticleFactory, SectionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

BUDGET = reverse("admin:articles_article_budget")


def at(days, hour=10):
    today = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + datetime.timedelta(days=days)


@pytest.fixture
def plan(reporter):
    city = SectionFactory(name="City", slug="city", position=1)
    sport = SectionFactory(name="Sport", slug="sport", position=2)
    return {
        "today": ArticleFactory(
            draft=True,
            headline="Tram fares rise",
            section=city,
            due_at=at(0, 16),
            assignee=reporter,
        ),
        "tomorrow": ArticleFactory(
            review=True, headline="Derby preview", section=sport, due_at=at(1, 9)
        ),
        "scheduled": ArticleFactory(headline="Budget embargo", section=city, published_at=at(2, 7)),
        "overdue": ArticleFactory(
            draft=True, headline="Late council report", section=city, due_at=at(-2)
        ),
        "later": ArticleFactory(draft=True, headline="Far future piece", due_at=at(10)),
        "withdrawn": ArticleFactory(
            withdrawn=True, headline="Pulled story", section=city, due_at=at(0, 12)
        ),
    }


def test_the_budget_shows_the_days_by_section_with_who_and_when(client, editor, plan, reporter):
    client.force_login(editor)
    response = client.get(BUDGET)
    assert response.status_code == 200
    html = response.content.decode()
    for story in ("Tram fares rise", "Derby preview", "Budget embargo", "Late council report"):
        assert story in html
    assert "Far future piece" not in html and "Pulled story" not in html
    # Overdue first, then the days in order.
    order = [
        html.index(s) for s in ("Overdue", "Tram fares rise", "Derby preview", "Budget embargo")
    ]
    assert order == sorted(order)
    assert reporter.get_username() in html
    assert "16:00" in html and "goes live 07:00" in html
    assert f"<td>{plan['today'].word_count}</td>" in html

    assert "Far future piece" in client.get(BUDGET, {"days": "14"}).content.decode()


def test_the_budget_filters(client, editor, reporter, plan):
    client.force_login(editor)
    city = plan["today"].section
    by_section = client.get(BUDGET, {"section": city.pk}).content.decode()
    assert "Tram fares rise" in by_section and "Derby preview" not in by_section
    by_status = client.get(BUDGET, {"status": "review"}).content.decode()
    assert "Derby preview" in by_status and "Tram fares rise" not in by_status
    one_day = client.get(BUDGET, {"days": "1"}).content.decode()
    assert "Tram fares rise" in one_day and "Derby preview" not in one_day
    client.force_login(reporter)
    mine = client.get(BUDGET, {"assignee": "me"}).content.decode()
    assert "Tram fares rise" in mine and "Derby preview" not in mine
    # Nonsense in the query is ignored, never an error.
    assert client.get(BUDGET, {"days": "99x", "section": "x", "assignee": "<b>"}).status_code == 200


def test_the_budget_costs_the_same_for_more_stories(client, editor, plan):
    client.force_login(editor)
    client.get(BUDGET)
    with CaptureQueriesContext(connection) as few:
        client.get(BUDGET)
    for _n in range(10):
        ArticleFactory(draft=True, due_at=at(1, 11), assignee=UserFactory(is_staff=True))
    with CaptureQueriesContext(connection) as many:
        client.get(BUDGET)
    assert len(many) == len(few)


def test_who_may_read_the_budget(client, reporter, moderator):
    assert client.get(BUDGET).status_code == 302  # to the login page
    client.force_login(moderator)
    assert client.get(BUDGET).status_code == 403
    client.force_login(reporter)
    assert client.get(BUDGET).status_code == 200


def test_an_editor_assigns_a_story_and_it_is_kept_and_shown_to_the_assignee(
    client, editor, reporter
):
    reporter.first_name, reporter.last_name = "Ana", "Ruiz"
    reporter.save()
    story = ArticleFactory(draft=True, headline="Harbour wall")
    client.force_login(editor)
    due = at(1, 15)
    response = post_change(
        client,
        story,
        assignee=reporter.pk,
        due_at_0=due.strftime("%Y-%m-%d"),
        due_at_1=due.strftime("%H:%M:%S"),
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.assignee == reporter and story.due_at == due
    event = ArticleEvent.objects.get(article=story, action="assign")
    assert (event.actor, event.detail) == (editor, "To Ana Ruiz")

    client.force_login(reporter)
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "Assigned to me" in dashboard and "Harbour wall" in dashboard
    listed = client.get(
        reverse("admin:articles_article_changelist"), {"assignee__id__exact": reporter.pk}
    )
    assert listed.status_code == 200 and "Harbour wall" in listed.content.decode()


def test_reporters_do_not_assign(client, reporter):
    story = ArticleFactory(draft=True, created_by=reporter)
    client.force_login(reporter)
    post_change(client, story, assignee=reporter.pk)
    story.refresh_from_db()
    assert story.assignee is None
    assert 'name="assignee"' not in client.get(change_url(story)).content.decode()
