"""Bulk publish and withdraw: editors only, after a page that lists the stories, and
each story checked by the workflow's table on its own."""

import pytest
from django.urls import reverse

from articles.models import Article, ArticleEvent
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

LIST = reverse("admin:articles_article_changelist")


def bulk(client, action, stories, confirm=False):
    data = {"action": action, "_selected_action": [story.pk for story in stories]}
    if confirm:
        data["confirm"] = "yes"
    return client.post(LIST, data)


def statuses(*stories):
    return [Article.objects.get(pk=story.pk).desk_status[0] for story in stories]


def test_bulk_publish_asks_first_then_publishes_what_it_may(client, editor):
    first = ArticleFactory(review=True, headline="Ferry strike ends")
    second = ArticleFactory(draft=True, headline="Library reopens")
    live = ArticleFactory(headline="Already out")
    client.force_login(editor)

    page = bulk(client, "publish_selected", [first, second, live])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ferry strike ends" in html and "Library reopens" in html
    assert "left as it is: This article is already live." in html
    assert "Yes, publish now: 2 stories" in html
    assert statuses(first, second, live) == ["review", "draft", "live"]  # nothing yet

    done = bulk(client, "publish_selected", [first, second], confirm=True)
    assert done.status_code == 302
    assert statuses(first, second) == ["live", "live"]
    assert ArticleEvent.objects.filter(action="publish", actor=editor).count() == 2


def test_bulk_withdraw_leaves_what_is_not_out(client, editor):
    live = ArticleFactory()
    draft = ArticleFactory(draft=True)
    client.force_login(editor)
    assert "left as it is" in bulk(client, "withdraw_selected", [live, draft]).content.decode()
    bulk(client, "withdraw_selected", [live, draft], confirm=True)
    assert statuses(live, draft) == ["withdrawn", "draft"]


def test_reporters_get_no_bulk_publishing_even_by_a_crafted_post(client, reporter):
    own = ArticleFactory(review=True, created_by=reporter)
    out = ArticleFactory(created_by=reporter)
    client.force_login(reporter)
    html = client.get(LIST).content.decode()
    assert 'value="submit_for_review"' in html
    assert 'value="publish_selected"' not in html and 'value="withdraw_selected"' not in html
    for action, story in [("publish_selected", own), ("withdraw_selected", out)]:
        bulk(client, action, [story])
        bulk(client, action, [story], confirm=True)
    assert statuses(own, out) == ["review", "live"]
    assert not ArticleEvent.objects.exists()


def test_the_confirmation_escapes_headlines(client, editor):
    story = ArticleFactory(review=True, headline="<script>alert(1)</script>")
    client.force_login(editor)
    html = bulk(client, "publish_selected", [story]).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
