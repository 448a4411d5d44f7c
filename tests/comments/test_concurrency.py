"""Two moderators acting on the same comment at the same moment: exactly one wins,
the other is told. Real threads and connections against PostgreSQL."""

import threading

import pytest
from django.db import connection

from comments.models import Comment, ModerationConflict
from tests.factories import CommentFactory, UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_decisions_on_one_comment():
    comment = CommentFactory(status="pending")
    first = UserFactory(username="first")
    second = UserFactory(username="second")
    barrier = threading.Barrier(2)
    outcomes = {}

    def act(user, to_status):
        seen = Comment.objects.get(pk=comment.pk)
        barrier.wait()
        try:
            seen.moderate(to_status, by=user)
            outcomes[user.username] = "won"
        except ModerationConflict as exc:
            outcomes[user.username] = str(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(first, "approved")),
        threading.Thread(target=act, args=(second, "spam")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcome == "won" for outcome in outcomes.values()) == [False, True]
    loser_message = next(o for o in outcomes.values() if o != "won")
    assert "was not applied" in loser_message
    comment.refresh_from_db()
    assert comment.events.count() == 1
    event = comment.events.get()
    assert event.to_status == comment.status


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_from_one_address_stays_within_the_hourly_limit(settings):
    """Posts from one address at the same instant: the limit is taken atomically
    in the shared cache, so no more than the cap are stored."""
    from django.test import Client

    from tests.comments.conftest import post_comment
    from tests.factories import ArticleFactory

    settings.COMMENTS_RATE_LIMIT_INTERVAL = 0
    settings.COMMENTS_RATE_LIMIT_HOURLY = 3
    article = ArticleFactory()
    barrier = threading.Barrier(8)
    statuses = []

    def post(number):
        client = Client()
        barrier.wait()
        try:
            response = post_comment(client, article, body=f"Burst number {number} " * 2)
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = Comment.objects.filter(article=article).count()
    assert stored == statuses.count(200) == 3
    assert statuses.count(429) == 5
