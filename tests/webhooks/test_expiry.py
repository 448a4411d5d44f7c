"""A story that expires leaves the site by the clock, with no save: the receivers hear
`article.withdrawn` at that time from a task enqueued when the expiry was set, run by the
database worker as in production (its clock moved with time_machine)."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.models import Article
from newsroom.models import Webhook
from tests.factories import ArticleFactory
from tests.receiver import Receiver
from tests.taskrunner import DATABASE_TASKS, run_waiting_tasks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("database_tasks"),
]

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def database_tasks(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with override_settings(TASKS=DATABASE_TASKS):
        yield


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        webhook = Webhook.objects.create(
            name="Partner", url=receiver.url, events=["article.withdrawn"]
        )
        receiver.secret = webhook.secret
        yield receiver


def expiry_tasks():
    return list(
        DBTaskResult.objects.filter(task_path="newsroom.webhooks.announce_expired").values_list(
            "status", flat=True
        )
    )


def test_an_expiring_story_is_announced_withdrawn_at_its_time(receiver, time_machine):
    time_machine.move_to(timezone.now(), tick=True)
    story = ArticleFactory(headline="Road closed until Friday")
    story.expires_at = timezone.now() + HOUR
    story.save()
    assert expiry_tasks() == ["READY"]
    run_waiting_tasks()
    assert receiver.received == [], "nothing before its time"

    time_machine.move_to(story.expires_at + datetime.timedelta(seconds=1), tick=True)
    assert not Article.objects.live().filter(pk=story.pk).exists()
    run_waiting_tasks()
    assert receiver.wait_for(1)
    assert receiver.events() == ["article.withdrawn"]
    [(_headers, _body, payload)] = receiver.received
    assert payload["data"]["article"]["id"] == story.pk
    assert payload["data"]["article"]["headline"] == "Road closed until Friday"
    run_waiting_tasks()
    assert len(receiver.received) == 1, "announced once"


def test_a_moved_expiry_is_announced_at_the_new_time_only(receiver, time_machine):
    time_machine.move_to(timezone.now(), tick=True)
    story = ArticleFactory()
    story.expires_at = timezone.now() + HOUR
    story.save()
    story.expires_at = timezone.now() + 3 * HOUR
    story.save()
    story.headline = "Edited, same expiry"
    story.save()
    assert expiry_tasks() == ["READY", "READY"], "one task per expiry time set"

    time_machine.move_to(timezone.now() + HOUR + datetime.timedelta(minutes=1), tick=True)
    run_waiting_tasks()
    assert receiver.received == [], "the first time no longer holds"
    time_machine.move_to(story.expires_at + datetime.timedelta(seconds=1), tick=True)
    run_waiting_tasks()
    assert receiver.wait_for(1)
    assert receiver.events() == ["article.withdrawn"]


def test_a_story_withdrawn_by_hand_before_its_expiry_is_announced_once(
    receiver, time_machine, superuser
):
    time_machine.move_to(timezone.now(), tick=True)
    story = ArticleFactory()
    story.expires_at = timezone.now() + HOUR
    story.save()
    story.withdraw(by=superuser)
    run_waiting_tasks()
    assert receiver.wait_for(1)
    time_machine.move_to(story.expires_at + datetime.timedelta(seconds=1), tick=True)
    run_waiting_tasks()
    assert receiver.events() == ["article.withdrawn"]
    assert set(expiry_tasks()) == {"SUCCESSFUL"}


def test_with_nobody_listening_an_expiry_enqueues_nothing():
    story = ArticleFactory()
    story.expires_at = timezone.now() + HOUR
    story.save()
    assert expiry_tasks() == [], "no webhook listens to article.withdrawn"
