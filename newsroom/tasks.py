"""Background work: Django's tasks API (the django-tasks backport), retried with back-off.

Work that waits on the network or takes long (webhook deliveries, e-mail, image
renditions, CDN purges) runs in a worker, never in the editor's or reader's request.
The backend comes from `TASKS_BACKEND` (newsroom/settings.py): the database
(`manage.py db_worker`), RQ on Redis (`manage.py rqworker --with-scheduler`), or
immediate (in the calling process: the test suite).

Neither the tasks API nor its backends retry a task that fails, so `background`
does, once, here: a failed attempt is recorded as a failed task result (visible with
its traceback in the admin, or RQ's failed registry), and the next attempt is
enqueued to run after a delay that doubles each time. To move a function onto the
queue:

    @background
    def purge(keys):
        if not send_purge(keys):
            raise PurgeFailed(keys)        # raised: tried again later

    enqueue_after_commit(purge, keys)      # instead of calling purge(keys)

Arguments must be JSON values (ids, strings), never model instances: the worker
loads what it needs, as it is when the task runs.
"""

import contextvars
import datetime
import functools
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends

logger = logging.getLogger(__name__)

_attempt = contextvars.ContextVar("task_attempt", default=1)


class GiveUp(Exception):
    """Raised by a task to fail now, with no further attempt (the input is gone or bad)."""


def retry_delay(attempt, base=None, cap=None):
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): doubling from
    `base` (TASK_RETRY_DELAY), never more than `cap` (TASK_RETRY_MAX_DELAY)."""
    base = settings.TASK_RETRY_DELAY if base is None else base
    cap = settings.TASK_RETRY_MAX_DELAY if cap is None else cap
    return min(cap, base * 2 ** max(0, attempt - 1))


def current_attempt():
    """Which attempt of the running task this is (1 for the first run)."""
    return _attempt.get()


def _value(setting, default):
    value = setting() if callable(setting) else setting
    return default if value is None else value


def background(func=None, *, attempts=None, delay=None, on_retry=None, on_give_up=None):
    """Make `func` a task that is tried up to `attempts` times (TASK_MAX_ATTEMPTS), the
    next attempt `retry_delay()` seconds after a failure, starting from `delay`.

    `attempts` and `delay` may be callables, read when the task runs (settings).
    `on_retry(*args, run_after=..., **kwargs)` is called before a retry is enqueued and
    `on_give_up(*args, error=..., **kwargs)` after the last failed attempt, so the
    task's own records can say what happened."""

    def decorate(function):
        @functools.wraps(function)
        def run(*args, _attempt_number=1, **kwargs):
            token = _attempt.set(_attempt_number)
            try:
                return function(*args, **kwargs)
            except Exception as exc:
                limit = _value(attempts, settings.TASK_MAX_ATTEMPTS)
                if isinstance(exc, GiveUp) or _attempt_number >= limit:
                    logger.warning(
                        "Task %s gave up after attempt %s: %s",
                        function.__name__,
                        _attempt_number,
                        exc,
                    )
                    if on_give_up is not None:
                        on_give_up(*args, error=exc, **kwargs)
                else:
                    _enqueue_retry(job, args, kwargs, _attempt_number, delay, on_retry)
                raise
            finally:
                _attempt.reset(token)

        job = task(run)
        return job

    return decorate(func) if func is not None else decorate


def _enqueue_retry(job, args, kwargs, attempt, delay, on_retry):
    seconds = retry_delay(attempt, base=_value(delay, None))
    run_after = timezone.now() + datetime.timedelta(seconds=seconds)
    if on_retry is not None:
        on_retry(*args, run_after=run_after, **kwargs)
    backend = job.get_backend()
    if backend.supports_defer:
        job = job.using(run_after=run_after)
    # Without deferral (the immediate backend of the tests) the retry runs at once.
    job.enqueue(*args, _attempt_number=attempt + 1, **kwargs)


def enqueue_after_commit(job, *args, **kwargs):
    """Enqueue `job` once the current transaction commits, never for a change that was
    rolled back, and never before a worker could see the rows it reads.

    With the database backend the task row is written inside the transaction itself,
    so the change and its task commit together: nothing is lost if the process dies
    right after the commit. Other backends (RQ, immediate) enqueue after the commit."""
    backend = job.get_backend()
    if _is_database_backend(backend):
        return job.enqueue(*args, **kwargs)
    transaction.on_commit(functools.partial(_enqueue_logged, job, args, kwargs), robust=True)
    return None


def pending_on_commit(matches):
    """The callback waiting for the current transaction's commit that `matches` accepts
    and that has not run yet, or None: work done once per transaction however many
    changes ask for it (each kind of callback keeps a `done` flag)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    for _savepoints, callback, _robust in connection.run_on_commit:
        if matches(callback) and not callback.done:
            return callback
    return None


def _enqueue_logged(job, args, kwargs):
    try:
        job.enqueue(*args, **kwargs)
    except Exception:
        logger.exception("Could not enqueue task %s%r", job.name, args)
        raise


def _is_database_backend(backend):
    from django_tasks_db import DatabaseBackend

    return isinstance(backend, DatabaseBackend)


def oldest_waiting_seconds():
    """How long the task that has waited longest for a worker has been waiting (a task
    due now and not yet started), in seconds; None when nothing waits. Raises when
    the task store cannot be read."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    now = timezone.now()
    if _is_database_backend(backend):
        since = _db_oldest_waiting(backend.alias)
    elif type(backend).__name__ == "RQBackend":
        since = _rq_oldest_waiting(backend)
    else:
        return None  # run at once: nothing ever waits
    if since is None:
        return None
    return max(0.0, round((now - since).total_seconds(), 1))


def _db_oldest_waiting(alias):
    from django.db.models import Case, F, When
    from django_tasks_db.models import DBTaskResult, get_date_max

    return (
        DBTaskResult.objects.ready()
        .filter(backend_name=alias)
        .annotate(
            waiting_since=Case(
                When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after")
            )
        )
        .order_by("waiting_since")
        .values_list("waiting_since", flat=True)
        .first()
    )


def _rq_oldest_waiting(backend):
    import django_rq
    from rq.job import Job

    oldest = None
    for name in sorted(backend.queues):
        queue = django_rq.get_queue(name)
        ids = queue.get_job_ids(0, 1)
        if not ids:
            continue
        job = Job.fetch(ids[0], connection=queue.connection)
        enqueued = job.enqueued_at
        if enqueued is not None and timezone.is_naive(enqueued):
            enqueued = timezone.make_aware(enqueued, datetime.UTC)
        if enqueued is not None and (oldest is None or enqueued < oldest):
            oldest = enqueued
    return oldest


def requeue_abandoned(backend_name, worker_id=None, timeout=None):
    """Put back in the queue the tasks a killed worker left running (SIGKILL, out of
    memory, a machine lost): those last claimed by `worker_id` (a worker starting under
    a stable id is not running anything yet), and those running for longer than
    `timeout` seconds (TASK_RUNNING_TIMEOUT; longer than any task takes). They run
    again from the start, so tasks are written to be run twice safely (a webhook
    delivery keeps its `webhook-id`, which receivers use to drop a repeat). Returns how
    many were put back. The database backend only: RQ's cleanup requeues the jobs of a
    killed worker itself (newsroom/tasks_rq.py)."""
    from django_tasks_db.models import DBTaskResult, TaskResultStatus

    timeout = settings.TASK_RUNNING_TIMEOUT if timeout is None else timeout
    cutoff = timezone.now() - datetime.timedelta(seconds=timeout)
    running = DBTaskResult.objects.running().filter(backend_name=backend_name)
    abandoned = [
        pk
        for pk, claimed_by, started_at in running.values_list("id", "worker_ids", "started_at")
        if (worker_id and claimed_by and claimed_by[-1] == worker_id)
        or (started_at is not None and started_at < cutoff)
    ]
    if not abandoned:
        return 0
    # Only if still running: a task finished meanwhile stays finished.
    count = running.filter(pk__in=abandoned).update(status=TaskResultStatus.READY, started_at=None)
    if count:
        logger.warning("Put back %d task(s) a stopped worker left running", count)
    return count
