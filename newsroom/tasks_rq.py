"""RQ's classes for `TASKS_BACKEND=rq` (settings.RQ): a task whose worker died runs again.

A worker killed in the middle of a task (SIGKILL, out of memory, a machine lost) leaves
its job in RQ's "started" registry. RQ's own cleanup finds it once the worker's
heartbeat for it has lapsed and requeues it if the job has *retries* left, or moves it
to the failed registry if not. django-tasks-rq enqueues without retries, so:

- `Queue` gives every job `TASK_RQ_ABANDONED_RETRIES` RQ retries;
- `Job` spends them only on a worker's death: when the task itself raises, its RQ
  retries are set to none, because `newsroom.tasks.background` has already decided
  (a later attempt enqueued anew with back-off, or giving up). A task is therefore
  never run twice for one failure;
- `Worker` looks for abandoned jobs every `TASK_RQ_MAINTENANCE_INTERVAL` seconds, idle
  or not (RQ's default is ten minutes, and an idle worker waits in Redis for up to
  `--worker-ttl` seconds between looks).

RQ lets a job's heartbeat lapse about a minute after its worker's last sign of life
(`job_monitoring_interval` + 60 s), so a killed worker's task runs again one to two
minutes later on any worker, the same one restarted or another.
"""

import django_rq.queues
import django_tasks_rq.backend
import rq
from django.conf import settings
from rq.job import Retry


class Queue(django_rq.queues.DjangoRQ):
    def create_job(self, *args, retry=None, **kwargs):
        if retry is None and settings.TASK_RQ_ABANDONED_RETRIES > 0:
            retry = Retry(max=settings.TASK_RQ_ABANDONED_RETRIES)
        return super().create_job(*args, retry=retry, **kwargs)


class Job(django_tasks_rq.backend.Job):
    def _execute(self):
        try:
            return super()._execute()
        except Exception:
            # The task's own failure: `background` retries it (or gave up), not RQ.
            self.retries_left = 0
            raise


class Worker(rq.Worker):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("maintenance_interval", settings.TASK_RQ_MAINTENANCE_INTERVAL)
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self):
        # Wake up from waiting on an empty queue in time for the next cleanup.
        return max(1, min(super().dequeue_timeout, self.maintenance_interval))
