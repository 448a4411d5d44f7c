"""Run the database backend's waiting tasks in the test's own process and transaction:
django-tasks-db's worker loop in batch mode (it stops when nothing is due)."""

from unittest import mock

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_waiting_tasks():
    from django_tasks_db.management.commands import db_worker

    worker = db_worker.Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    # The worker recycles its connection between tasks, as a request does; inside the
    # test's transaction that would close it (PostgreSQL), so it keeps it here.
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        worker.run()
