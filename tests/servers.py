"""Real servers for failure, load and benchmark tests (contract 9).

Each helper starts a private process on a free loopback port inside its own
temporary folder, waits (bounded) until it answers, and cleans up after itself:

    with PostgresServer() as pg, RedisServer() as redis:
        database_url = pg.create_database("newsroom")
        migrate({"DATABASE_URL": database_url})
        with AppServer({"DATABASE_URL": database_url, "REDIS_URL": redis.url(5)}) as app:
            urllib.request.urlopen(app.url("/healthz"))
            pg.stop()   # the failure under test
            ...
            pg.start()  # and the recovery

The shared PostgreSQL (5432) and Redis (6379) are never touched. Every wait has a
deadline; on failure the error carries the tail of the server's log.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# Production-mode settings that work over plain HTTP on loopback.
APP_BASE_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "servers-py-test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "LOG_LEVEL": "WARNING",
}


class ServerError(RuntimeError):
    pass


def free_port():
    """A TCP port nobody listens on right now (the caller binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port, host="127.0.0.1", timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise ServerError(f"timed out after {timeout}s waiting for {what}")


def _tail(path, lines=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _pg_bindir():
    candidates = []
    if shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, timeout=10
            )
            candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for path in candidates:
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ServerError("PostgreSQL server binaries (initdb, pg_ctl) not found")


def postgres_available():
    try:
        _pg_bindir()
    except ServerError:
        return False
    return True


def redis_available():
    return shutil.which("redis-server") is not None


def redis_reachable(url):
    """Whether a Redis server answers at `url` (a running one, not a private one)."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:  # any failure means there is no server to test against
        return False
    return True


class PostgresServer:
    """A private PostgreSQL cluster: initdb into a temporary folder, pg_ctl on its own port.

    PostgreSQL refuses to run as root; when the tests run as root the cluster is
    owned by and run as the `postgres` system user.
    """

    def __init__(self, port=None, start_timeout=60):
        self.bindir = _pg_bindir()
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self.user = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ServerError("running as root needs a 'postgres' system user") from exc
        self.base = Path(tempfile.mkdtemp(prefix="nr-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        if self.user:
            os.chown(self.base, self.user.pw_uid, self.user.pw_gid)
        self._initialised = False

    def _run(self, *args, timeout=60, check=True):
        kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid} if self.user else {}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.base,
            env=env,
            check=False,
            **kwargs,
        )
        if check and result.returncode != 0:
            raise ServerError(
                f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                f"{_tail(self.log)}"
            )
        return result

    def initdb(self):
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            timeout=120,
        )
        self._initialised = True

    def start(self):
        if not self._initialised:
            self.initdb()
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c shared_buffers=32MB"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            str(self.start_timeout),
            "start",
            timeout=self.start_timeout + 10,
        )
        wait_until(lambda: port_open(self.port), 10, what=f"PostgreSQL on port {self.port}")
        return self

    def stop(self, mode="fast"):
        """Stop the server ("fast" disconnects clients; "immediate" is a crash)."""
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")
        wait_until(lambda: not port_open(self.port), 10, what="PostgreSQL to stop")

    def running(self):
        if not self._initialised:
            return False
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def url(self, database="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql, database="postgres"):
        result = subprocess.run(
            ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", self.url(database), "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise ServerError(f"psql failed: {result.stderr}")
        return result.stdout.strip()

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def cleanup(self):
        with contextlib.suppress(ServerError, OSError, subprocess.SubprocessError):
            self.stop(mode="immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        self.cleanup()


class RedisServer:
    """A private redis-server without persistence on its own port."""

    def __init__(self, port=None, start_timeout=15):
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self.base = Path(tempfile.mkdtemp(prefix="nr-redis-"))
        self.log = self.base / "redis.log"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
                "--logfile",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_until(self.ping, self.start_timeout, what=f"Redis on port {self.port}")
        except ServerError as exc:
            self.stop()
            raise ServerError(f"{exc}\n{_tail(self.log)}") from exc
        return self

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        wait_until(lambda: not port_open(self.port), 10, what="Redis to stop")

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def cleanup(self):
        with contextlib.suppress(ServerError, OSError):
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


def use_redis(settings, url):
    """The site's cache on the Redis at `url`, as production sets it up, trying again at
    once after a failure (`RETRY_AFTER` 0); what this process kept of the old cache is
    forgotten."""
    from django.core.cache import caches

    from newsroom import caching

    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.cache_backends.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "test",
            "OPTIONS": {"RETRY_AFTER": 0},
        }
    }
    caches.close_all()
    caching.forget_everything_in_this_process()


def command_calls(client):
    """Commands a Redis server has run so far, by name (INFO itself left out)."""
    stats = client.info("commandstats")
    return {name: stat["calls"] for name, stat in stats.items() if name != "cmdstat_info"}


def manage(*args, env, timeout=300):
    """Run `manage.py` in a subprocess with APP_BASE_ENV plus `env`; raise with its output."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=app_environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise ServerError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def migrate(env, timeout=300):
    return manage("migrate", "--noinput", env=env, timeout=timeout)


_STATIC_ROOT = None


def collected_static():
    """A STATIC_ROOT with collectstatic run once per test process (production storage
    needs its manifest); pass it to the app as STATIC_ROOT."""
    global _STATIC_ROOT
    if _STATIC_ROOT is None:
        root = Path(tempfile.mkdtemp(prefix="nr-static-"))
        atexit.register(shutil.rmtree, root, True)
        manage("collectstatic", "--noinput", env={"STATIC_ROOT": str(root)}, timeout=300)
        _STATIC_ROOT = root
    return _STATIC_ROOT


def app_environment(env):
    """The process environment plus production-like defaults plus `env` (which wins).

    Variables the test runner set for itself (pytest-env, a DATABASE_URL for the suite)
    are dropped so the server only sees what the caller meant it to see.
    """
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "TEST_DATABASE_NAME",
            "PYTEST_CURRENT_TEST",
            "PYTEST_XDIST_WORKER",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return {**inherited, **APP_BASE_ENV, **{k: str(v) for k, v in env.items()}}


class AppServer:
    """The app under gunicorn with a given environment on a free loopback port.

    `env` needs at least DATABASE_URL (the database must already be migrated);
    `workers` and `threads` size gunicorn. Static files are collected once per test
    process into a temporary STATIC_ROOT unless `env` names one.
    """

    def __init__(
        self, env, workers=2, threads=1, port=None, start_timeout=60, timeout=30, root=ROOT
    ):
        self.root = Path(root)
        env = dict(env)
        env.setdefault("STATIC_ROOT", str(collected_static()))
        self.env = app_environment(env)
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self.timeout = timeout
        self.base = Path(tempfile.mkdtemp(prefix="nr-app-"))
        self.log = self.base / "gunicorn.log"
        self.process = None
        self._log_handle = None

    def start(self):
        self._log_handle = open(self.log, "ab")  # noqa: SIM115 - kept open for the process
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "newsroom.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--timeout",
                str(self.timeout),
                "--graceful-timeout",
                "5",
                "--error-logfile",
                "-",
                "--log-level",
                "warning",
            ],
            cwd=self.root,
            env=self.env,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers():
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited ({self.process.returncode}):\n{self.logs()}")
            try:
                urllib.request.urlopen(self.url("/robots.txt"), timeout=2).close()
            except urllib.error.HTTPError:
                return True  # it answered, even if with an error
            except (urllib.error.URLError, OSError):
                return False
            return True

        try:
            wait_until(answers, self.start_timeout, interval=0.2, what="gunicorn to answer")
        except ServerError as exc:
            self.stop()
            raise ServerError(f"{exc}\n{self.logs()}") from exc
        return self

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def logs(self, lines=80):
        return _tail(self.log, lines)

    def stop(self):
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        if self._log_handle:
            self._log_handle.close()
            self._log_handle = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
