"""Settings come from the environment and fail fast when production values are missing."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Hq2-production-like-secret-key-for-the-deploy-check-0123456789abcdef",
    "ALLOWED_HOSTS": "news.example.org",
    "DATABASE_URL": "sqlite:////tmp/newsroom-deploy-check.sqlite3",
    # The web server in front serves /media/ (docs/deploy/); without it W001 warns.
    "MEDIA_SERVED_BY_WEB_SERVER": "1",
}


def run_manage(*args, env):
    base = {
        k: v
        for k, v in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests; check --deploy rejects it.
        if k
        not in {
            "SECRET_KEY",
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SECURE_COOKIES",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_without_secret_key_fails_with_a_clear_message():
    result = run_manage("check", env={"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_mode_runs_with_a_development_key():
    result = run_manage("check", env={"DEBUG": "1"})
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_nothing_serves_the_pictures():
    env = {**PRODUCTION, "MEDIA_SERVED_BY_WEB_SERVER": "0", "SERVE_MEDIA": "0"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "newsroom.W001" in result.stdout + result.stderr
    assert "Uploaded images would not be served" in result.stdout + result.stderr


def test_a_log_line_is_printed_once_in_development():
    code = (
        "import logging, django; django.setup(); "
        "logging.getLogger('django.request').warning('Not Found: /nowhere/'); "
        "logging.getLogger('newsroom.cdn').warning('purge failed'); "
        "logging.getLogger('django.server').info('\"GET /nowhere/ HTTP/1.1\" 404 179')"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOG_LEVEL"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "newsroom.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Not Found: /nowhere/") == 1, result.stderr
    assert result.stderr.count("purge failed") == 1, result.stderr
    assert result.stderr.count("GET /nowhere/") == 1, result.stderr


def test_check_deploy_complains_when_debug_is_on():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, "DEBUG": "1"}
    )
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_redis_url_switches_the_cache_to_redis():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = run_manage(
        "shell", "-c", code, env={"DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/9"}
    )
    assert result.returncode == 0, result.stderr
    assert "Redis" in result.stdout


def test_postgres_connections_are_persistent_with_health_checks():
    code = (
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    result = run_manage("shell", "-c", code, env={"DEBUG": "1", "DATABASE_URL": "postgres:///x"})
    assert result.returncode == 0, result.stderr
    engine, max_age, health = result.stdout.split()[-3:]
    assert engine.endswith("postgresql")
    assert int(max_age) > 0
    assert health == "True"
