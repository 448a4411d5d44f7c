"""Real workers: `db_worker` (SQLite and PostgreSQL) and an RQ worker (Redis) run the
tasks a publish leaves behind, in their own processes, against their own databases.

The site's side runs in subprocesses too (`manage.py shell`), so every process sees
only committed rows, as in production. The webhook receiver is a real HTTP server on
loopback that verifies the signatures.
"""

import json
import os
import shutil
import signal
import subprocess
import textwrap
import time

import pytest

from tests.receiver import Receiver
from tests.servers import (
    PYTHON,
    ROOT,
    PostgresServer,
    RedisServer,
    app_environment,
    collected_static,
    manage,
    migrate,
    postgres_available,
    redis_available,
    wait_until,
)

pytestmark = pytest.mark.slow

SETUP = """
from django.contrib.auth import get_user_model
from articles.models import Article, Section
from newsroom.models import Webhook
hook = Webhook.objects.create(name="Partner", url={url!r}, events=["article.published"])
get_user_model().objects.create_superuser("boss", "boss@example.org", "x")
Section.objects.create(name="News", slug="news")
print(hook.secret)
"""

PUBLISH = """
from django.contrib.auth import get_user_model
from articles.models import Article, Section
boss = get_user_model().objects.get(username="boss")
for number in range({count}):
    article = Article.objects.create(
        headline=f"Story {{number}}", slug=f"story-{{number}}-{{Article.objects.count()}}",
        section=Section.objects.get(slug="news"),
    )
    article.publish(by=boss)
"""

REPORT = """
import json
from django_tasks_db.models import DBTaskResult
from newsroom.models import WebhookDelivery
print(json.dumps({
    "deliveries": sorted(WebhookDelivery.objects.values_list("status", flat=True)),
    "tasks": sorted(
        DBTaskResult.objects.filter(task_path__startswith="newsroom.webhooks")
        .values_list("status", flat=True)
    ),
    # The rest of a publish's work: the derived data, the CDN purge when configured.
    "other": sorted(
        DBTaskResult.objects.exclude(task_path__startswith="newsroom.webhooks")
        .values_list("status", flat=True)
    ),
}))
"""


def shell(code, env):
    output = manage("shell", "--no-imports", "-c", textwrap.dedent(code), env=env, timeout=120)
    return output.strip().splitlines()[-1] if output.strip() else ""


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory):
    path = tmp_path_factory.mktemp("tasks-db") / "template.sqlite3"
    migrate({"DATABASE_URL": f"sqlite:///{path}"})
    return path


@pytest.fixture
def sqlite_env(migrated_sqlite, tmp_path):
    path = tmp_path / "site.sqlite3"
    shutil.copy(migrated_sqlite, path)
    return {"DATABASE_URL": f"sqlite:///{path}", "TASKS_BACKEND": "database"}


@pytest.fixture(scope="module")
def postgres():
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries are not installed")
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_env(postgres, request):
    name = f"tasks_{abs(hash(request.node.name)) % 10**8}"
    url = postgres.create_database(name)
    env = {"DATABASE_URL": url, "TASKS_BACKEND": "database"}
    migrate(env)
    return env


def site_env(env):
    # Production settings read hashed static files (the publisher's logo in structured
    # data), so every process gets a collected STATIC_ROOT, as a deployment has.
    return {
        **env,
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_RETRY_DELAY": "1",
        "STATIC_ROOT": str(collected_static()),
    }


def manage_process(env, *command):
    """`manage.py <command>` in a process (and session) of its own, its output kept."""
    return subprocess.Popen(
        [PYTHON, "manage.py", *command],
        cwd=ROOT,
        env=app_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def db_worker(env, *args):
    return manage_process(env, "db_worker", "--no-startup-delay", "--interval", "0.2", *args)


def healthz(env):
    """/healthz as the site answers it now (one waiting task: its age is reported)."""
    body = shell(
        "from django.test import Client;"
        "print(Client().get('/healthz', HTTP_HOST='localhost').content.decode())",
        env,
    )
    return json.loads(body)


def finish(process, timeout=120):
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def publish_and_work(env):
    with Receiver() as receiver:
        receiver.secret = shell(SETUP.format(url=receiver.url), env)
        shell(PUBLISH.format(count=1), env)
        assert receiver.received == [], "publishing sent nothing itself: the worker does"
        waiting = json.loads(shell(REPORT, env))
        assert waiting["tasks"] == ["READY"], waiting  # one announcement, nothing run yet
        assert healthz(env)["tasks"]["oldest_waiting_seconds"] >= 0

        code, output = finish(db_worker(env, "--batch"))
        assert code == 0, output
        assert receiver.events() == ["article.published"]
    report = json.loads(shell(REPORT, env))
    assert report["deliveries"] == ["delivered"]
    assert report["tasks"] == ["SUCCESSFUL", "SUCCESSFUL"]  # the announcement, the delivery
    assert report["other"] == ["SUCCESSFUL"]  # the story's related ranking and JSON-LD


def test_db_worker_runs_a_publishs_tasks_on_sqlite(sqlite_env):
    publish_and_work(site_env(sqlite_env))


def test_db_worker_runs_a_publishs_tasks_on_postgresql(postgres_env):
    publish_and_work(site_env(postgres_env))


def test_a_worker_stopped_mid_task_loses_nothing(sqlite_env):
    """systemd stops a worker with SIGTERM: it finishes the task in hand and exits; the
    tasks still waiting stay in the database for the next worker. Nothing is lost and
    nothing is sent twice."""
    env = site_env(sqlite_env)
    with Receiver(delay=1.5) as receiver:
        receiver.secret = shell(SETUP.format(url=receiver.url), env)
        shell(PUBLISH.format(count=3), env)

        worker = db_worker(env)
        wait_until(lambda: receiver.started >= 1, 60, what="the first delivery to start")
        os.killpg(worker.pid, signal.SIGTERM)
        code, output = finish(worker)
        assert code == 0, output
        assert len(receiver.received) == 1, "the delivery in hand was finished, not dropped"
        left = json.loads(shell(REPORT, env))
        assert left["tasks"].count("READY") >= 2, left

        code, output = finish(db_worker(env, "--batch"))
        assert code == 0, output
        assert receiver.events() == ["article.published"] * 3
    report = json.loads(shell(REPORT, env))
    assert report["deliveries"] == ["delivered"] * 3
    assert set(report["tasks"]) == {"SUCCESSFUL"}


@pytest.mark.parametrize("restart", ["under the same worker id", "elsewhere, after the timeout"])
def test_a_worker_killed_mid_task_loses_nothing(sqlite_env, restart):
    """SIGKILL (out of memory, kill -9) gives the worker no chance to finish: the task in
    hand stays marked running. The worker restarted under the same id puts it back at
    once; any other worker does once it has run longer than TASK_RUNNING_TIMEOUT. It
    runs again, and the receiver gets the same webhook-id both times (so it can drop
    the repeat)."""
    same = restart == "under the same worker id"
    env = site_env({**sqlite_env, "TASK_RUNNING_TIMEOUT": "3600" if same else "2"})
    with Receiver(delay=3) as receiver:
        receiver.secret = shell(SETUP.format(url=receiver.url), env)
        shell(PUBLISH.format(count=1), env)
        worker = db_worker(env, "--worker-id", "box-1")
        wait_until(lambda: receiver.started >= 1, 60, what="the delivery to start")
        os.killpg(worker.pid, signal.SIGKILL)
        finish(worker)
        left = json.loads(shell(REPORT, env))
        assert "RUNNING" in left["tasks"], left
        assert left["deliveries"] != ["delivered"], left

        if not same:
            time.sleep(2.5)  # past TASK_RUNNING_TIMEOUT
        code, output = finish(
            db_worker(env, "--batch", "--worker-id", "box-1" if same else "box-2")
        )
        assert code == 0, output
        assert "Put back 1 task(s)" in output, output
        assert receiver.wait_for(2, timeout=30), "the killed attempt and the new one"
    assert len({headers["webhook-id"] for headers, _b, _p in receiver.received}) == 1
    report = json.loads(shell(REPORT, env))
    assert report["deliveries"] == ["delivered"], report
    assert set(report["tasks"]) == {"SUCCESSFUL"}, report


def test_a_failed_delivery_is_retried_later_by_the_worker(sqlite_env):
    env = site_env(sqlite_env)
    with Receiver(codes=[500, 500, 200]) as receiver:
        receiver.secret = shell(SETUP.format(url=receiver.url), env)
        shell(PUBLISH.format(count=1), env)
        worker = db_worker(env)
        try:
            # Back-off of 1 s, then 2 s: the third attempt comes by itself, later.
            assert receiver.wait_for(3, timeout=60)
            time.sleep(0.5)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            finish(worker)
    ids = {headers["webhook-id"] for headers, _b, _p in receiver.received}
    assert len(ids) == 1
    report = json.loads(shell(REPORT, env))
    assert report["deliveries"] == ["delivered"]
    # Each failed attempt is a failed task result, readable in the admin.
    assert sorted(report["tasks"]) == ["FAILED", "FAILED", "SUCCESSFUL", "SUCCESSFUL"]


@pytest.fixture
def redis_server():
    if not redis_available():
        pytest.skip("redis-server is not installed")
    with RedisServer() as server:
        yield server


def test_rq_worker_runs_a_publishs_tasks_on_redis(sqlite_env, redis_server):
    env = site_env({**sqlite_env, "TASKS_BACKEND": "rq", "TASKS_REDIS_URL": redis_server.url(7)})
    with Receiver() as receiver:
        receiver.secret = shell(SETUP.format(url=receiver.url), env)
        shell(PUBLISH.format(count=1), env)
        assert receiver.received == []
        health = healthz(env)
        assert health["tasks"]["backend"] == "rq", health
        assert health["tasks"]["oldest_waiting_seconds"] >= 0, health

        result = subprocess.run(
            [PYTHON, "manage.py", "rqworker", "--burst", "--with-scheduler", "default"],
            cwd=ROOT,
            env=app_environment(env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert receiver.wait_for(1, timeout=10), result.stdout + result.stderr
        assert receiver.events() == ["article.published"]
    deliveries = shell(
        "from newsroom.models import WebhookDelivery;"
        "print(list(WebhookDelivery.objects.values_list('status', flat=True)))",
        env,
    )
    assert deliveries == "['delivered']"


def rqworker(env, *args):
    return manage_process(env, "rqworker", "--with-scheduler", *args, "default")


RQ_REGISTRIES = """
import json
import django_rq
from rq.registry import FailedJobRegistry, StartedJobRegistry
queue = django_rq.get_queue("default")
print(json.dumps({
    "started": StartedJobRegistry(queue=queue).get_job_ids(cleanup=False),
    "failed": FailedJobRegistry(queue=queue).get_job_ids(),
}))
"""


DELIVERIES = """
from newsroom.models import WebhookDelivery
print(list(WebhookDelivery.objects.values_list("status", flat=True)))
"""


def descendants(pid):
    """The processes started under `pid`, at any depth (RQ forks a work horse per job
    into its own process group)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.mark.parametrize("killed", ["the worker and its work horse", "the work horse alone"])
def test_an_rq_worker_killed_mid_task_loses_nothing(sqlite_env, redis_server, killed):
    """SIGKILL to an RQ worker and the work horse running the job (systemd killing the
    unit's control group, a machine lost) leaves the job in RQ's started registry. Once
    its heartbeat lapses (about a minute), the next worker's cleanup requeues it by
    itself, as the job carries RQ retries for that (newsroom/tasks_rq.py): no
    `rq requeue`. The work horse alone killed (out of memory) is seen by its worker,
    which requeues the job at once. Either way it runs once more, with the same
    webhook-id, and never again."""
    whole = killed == "the worker and its work horse"
    env = site_env(
        {
            **sqlite_env,
            "TASKS_BACKEND": "rq",
            "TASKS_REDIS_URL": redis_server.url(8),
            "TASK_RQ_MAINTENANCE_INTERVAL": "2",
        }
    )
    with Receiver(delay=3) as receiver:
        receiver.secret = shell(SETUP.format(url=receiver.url), env)
        shell(PUBLISH.format(count=1), env)
        worker = rqworker(env)
        try:
            wait_until(lambda: receiver.started >= 1, 90, what="the delivery to start")
            # The horse leads its own process group (the scheduler is another child).
            horses = [pid for pid in descendants(worker.pid) if os.getpgid(pid) == pid]
            for pid in horses:
                os.kill(pid, signal.SIGKILL)
        finally:
            if whole:
                os.killpg(worker.pid, signal.SIGKILL)
                first_output = finish(worker)[1]
        assert horses, "the job runs in a forked work horse"
        if whole:
            registries = json.loads(shell(RQ_REGISTRIES, env))
            assert len(registries["started"]) == 1, (registries, first_output)  # abandoned
            assert shell(DELIVERIES, env) != "['delivered']"
            worker = rqworker(env)
        try:
            assert receiver.wait_for(2, timeout=150), "the killed attempt and the new one"
            wait_until(
                lambda: shell(DELIVERIES, env) == "['delivered']", 60, 1, "the delivery's log"
            )
            time.sleep(4)  # nothing else comes: the task ran exactly once more
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            _code, output = finish(worker)
        assert "enqueued for retry" in output, output
        assert len(receiver.received) == 2, output
    assert len({headers["webhook-id"] for headers, _b, _p in receiver.received}) == 1
    registries = json.loads(shell(RQ_REGISTRIES, env))
    assert registries == {"started": [], "failed": []}, registries


def test_an_rq_task_that_fails_is_retried_once_per_failure(sqlite_env, redis_server):
    """A task that raises is retried by `background` (a new job, with back-off), not by
    RQ as well: the RQ retries the jobs carry are for a killed worker only. The failed
    attempt stays in RQ's failed registry, where it can be read."""
    env = site_env({**sqlite_env, "TASKS_BACKEND": "rq", "TASKS_REDIS_URL": redis_server.url(9)})
    with Receiver(codes=[500, 200]) as receiver:
        receiver.secret = shell(SETUP.format(url=receiver.url), env)
        shell(PUBLISH.format(count=1), env)
        worker = rqworker(env)
        try:
            assert receiver.wait_for(2, timeout=60)
            wait_until(
                lambda: shell(DELIVERIES, env) == "['delivered']", 60, 1, "the delivery's log"
            )
            time.sleep(3)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            _code, output = finish(worker)
        assert len(receiver.received) == 2, output
    registries = json.loads(shell(RQ_REGISTRIES, env))
    assert registries["started"] == [], registries
    assert len(registries["failed"]) == 1, registries  # the first attempt, not retried by RQ
