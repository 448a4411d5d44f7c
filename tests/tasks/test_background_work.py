"""The task machinery without a worker process: retries and their back-off, the queue's
age in /healthz, and the work moved off the request (renditions of big pictures,
moderator e-mail)."""

import datetime

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.models import Image
from newsroom import tasks
from tests.factories import ImageFactory, png_bytes
from tests.taskrunner import DATABASE_TASKS, run_waiting_tasks

pytestmark = pytest.mark.django_db


calls = []


@tasks.background(attempts=3, delay=10)
def flaky(label):
    calls.append((label, tasks.current_attempt()))
    raise RuntimeError(f"{label} failed")


@tasks.background
def hopeless(label):
    calls.append((label, tasks.current_attempt()))
    raise tasks.GiveUp("no point trying again")


@pytest.fixture(autouse=True)
def _no_calls():
    calls.clear()


def test_retry_delay_doubles_up_to_the_cap():
    assert [tasks.retry_delay(n, base=30, cap=200) for n in (1, 2, 3, 4, 5)] == [
        30,
        60,
        120,
        200,
        200,
    ]


@override_settings(TASKS=DATABASE_TASKS)
def test_a_failed_attempt_is_recorded_and_the_next_one_waits_its_turn():
    flaky.enqueue("purge")
    before = timezone.now()
    run_waiting_tasks()
    assert calls == [("purge", 1)], "the retry is not due yet, so the batch ends"
    failed, waiting = DBTaskResult.objects.order_by("enqueued_at")
    assert failed.status == "FAILED"
    assert "purge failed" in failed.traceback
    assert waiting.status == "READY"
    assert waiting.args_kwargs["kwargs"] == {"_attempt_number": 2}
    delay = (waiting.run_after - before).total_seconds()
    assert 9 <= delay <= 11


def test_the_last_attempt_gives_up():
    flaky.enqueue("feed")  # the immediate backend: retries run at once
    assert calls == [("feed", 1), ("feed", 2), ("feed", 3)]


def test_give_up_means_no_further_attempt():
    hopeless.enqueue("gone")
    assert calls == [("gone", 1)]


@override_settings(TASKS=DATABASE_TASKS)
def test_healthz_reports_how_long_the_oldest_task_has_waited(client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    assert client.get("/healthz").json()["tasks"]["oldest_waiting_seconds"] is None
    hopeless.enqueue("first")
    time_machine.shift(datetime.timedelta(seconds=90))
    hopeless.enqueue("second")
    # A retry due later is not waiting for a worker yet.
    hopeless.using(run_after=timezone.now() + datetime.timedelta(hours=1)).enqueue("later")
    time_machine.shift(datetime.timedelta(seconds=30))
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["tasks"]["oldest_waiting_seconds"] == 120.0


def test_healthz_with_the_immediate_backend_has_nothing_waiting(client):
    body = client.get("/healthz").json()
    assert body["tasks"] == {"backend": "immediate", "oldest_waiting_seconds": None}


def test_a_big_picture_is_cut_after_the_request_and_readers_get_the_original_meanwhile(
    settings, django_capture_on_commit_callbacks
):
    settings.IMAGE_BACKGROUND_PIXELS = 100 * 100
    with django_capture_on_commit_callbacks() as pending:
        image = ImageFactory(file=ContentFile(png_bytes(400, 300), name="big.png"))
    assert image.renditions == {}
    assert image.rendition_url("w320") == image.file.url
    assert image.srcset == ""
    assert len(pending) == 1
    pending[0]()
    image.refresh_from_db()
    assert image.srcset and "w320" in image.renditions
    assert image.rendition_url("w320") != image.file.url


def test_a_small_picture_is_still_cut_at_once(settings):
    settings.IMAGE_BACKGROUND_PIXELS = 100 * 100
    image = ImageFactory(file=ContentFile(png_bytes(80, 60), name="small.png"))
    assert set(image.renditions) >= {"16x9", "4x3", "1x1"}


def test_a_replaced_big_picture_never_shows_the_old_renditions(
    settings, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    settings.IMAGE_BACKGROUND_PIXELS = 100 * 100
    image = ImageFactory(file=ContentFile(png_bytes(80, 60), name="small.png"))
    old_paths = [entry["path"] for entry in image.renditions.values()]
    image = Image.objects.get(pk=image.pk)
    image.file = ContentFile(png_bytes(400, 300, color=(0, 0, 200)), name="replacement.png")
    with django_capture_on_commit_callbacks(execute=True):
        image.save()
        assert Image.objects.get(pk=image.pk).renditions == {}
        assert not any(default_storage.exists(path) for path in old_paths)
    image.refresh_from_db()
    assert image.renditions["w320"]["width"] == 320


def test_moderator_mail_goes_through_a_task(moderator, settings):
    from comments.notifications import check_queue
    from tests.factories import CommentFactory

    moderator.email = "mod@example.org"
    moderator.save()
    settings.COMMENTS_QUEUE_ALERT_THRESHOLD = 1
    CommentFactory(status="pending")
    with override_settings(TASKS=DATABASE_TASKS):
        assert check_queue() is True
    assert mail.outbox == [], "the request only queued it"
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "comments.notifications.send_queue_alert"


@override_settings(TASKS=DATABASE_TASKS)
def test_a_failed_task_is_visible_in_the_admin_with_its_traceback(client, superuser):
    hopeless.enqueue("gone")
    run_waiting_tasks()
    failed = DBTaskResult.objects.get()
    client.force_login(superuser)
    listing = client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert "hopeless" in listing.content.decode()
    detail = client.get(f"/admin/django_tasks_database/dbtaskresult/{failed.pk}/change/")
    assert "no point trying again" in detail.content.decode()


@override_settings(TASKS=DATABASE_TASKS, TASK_RUNNING_TIMEOUT=600)
def test_only_tasks_a_stopped_worker_left_running_are_put_back(time_machine):
    """Its own id's tasks (the worker restarted) and those past the timeout; not the
    task another worker is running now, nor a finished one."""
    for label in ("mine", "busy", "lost", "done"):
        flaky.enqueue(label)
    rows = {row.args_kwargs["args"][0]: row for row in DBTaskResult.objects.all()}
    time_machine.move_to(timezone.now() - datetime.timedelta(hours=1))
    rows["lost"].claim("gone-for-good")
    time_machine.move_to(timezone.now() + datetime.timedelta(hours=1))
    rows["mine"].claim("box-1")
    rows["busy"].claim("box-2")
    rows["done"].claim("box-1")
    rows["done"].set_successful(None)

    assert tasks.requeue_abandoned("default", "box-1") == 2
    status = dict(DBTaskResult.objects.values_list("args_kwargs__args__0", "status"))
    assert status == {"mine": "READY", "busy": "RUNNING", "lost": "READY", "done": "SUCCESSFUL"}
    assert tasks.requeue_abandoned("default", "box-1") == 0
    run_waiting_tasks()
    assert sorted(label for label, _attempt in calls) == ["lost", "mine"]
