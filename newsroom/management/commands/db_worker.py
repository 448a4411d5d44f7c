"""`manage.py db_worker`: django-tasks-db's worker, which also puts back in the queue the
tasks a killed worker left running (newsroom.tasks.requeue_abandoned).

On start it puts back the tasks last claimed under its own `--worker-id` (give each
worker a stable id, e.g. `--worker-id %H-%i` in systemd, and a restart after a SIGKILL
retries the task in hand at once) and those running for longer than
TASK_RUNNING_TIMEOUT (from a worker that never came back); after a task, at most once a
minute, it looks again for the latter.
"""

import time

from django_tasks_db.compat import task_finished
from django_tasks_db.management.commands import db_worker

from newsroom.tasks import requeue_abandoned

#: Seconds between two looks for tasks running too long, in a busy worker.
CHECK_EVERY = 60


class Command(db_worker.Command):
    help = "Run a database background worker; tasks a killed worker left running run again."

    def handle(self, *, backend_name, worker_id, **options):
        requeue_abandoned(backend_name, worker_id)
        last_check = time.monotonic()

        def look_again(sender, **kwargs):
            nonlocal last_check
            if time.monotonic() - last_check >= CHECK_EVERY:
                last_check = time.monotonic()
                requeue_abandoned(backend_name)

        task_finished.connect(look_again, weak=False)
        try:
            super().handle(backend_name=backend_name, worker_id=worker_id, **options)
        finally:
            task_finished.disconnect(look_again)
