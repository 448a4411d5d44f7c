"""Every response carries the security headers; cookies are Secure, HttpOnly, SameSite."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import ArticleFactory

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "security-suite-production-like-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "news.example.org",
    "DATABASE_URL": "sqlite:////tmp/newsroom-security-deploy-check.sqlite3",
    # The web server in front serves the pictures (docs/operations.md).
    "MEDIA_SERVED_BY_WEB_SERVER": "1",
}


def csp_directives(response):
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture
def pages(db):
    article = ArticleFactory()
    return ["/", article.get_absolute_url(), "/search/?q=budget", "/healthz", "/robots.txt"]


@pytest.mark.django_db
def test_every_page_sends_the_security_headers(client, pages):
    for path in pages:
        response = client.get(path, secure=True)
        assert response.status_code == 200, path
        hsts = response["Strict-Transport-Security"]
        max_age = int(hsts.split("max-age=")[1].split(";")[0])
        assert max_age >= 365 * 24 * 3600, path
        assert "includeSubDomains" in hsts, path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
        assert response["X-Frame-Options"] == "DENY", path
        assert "camera=()" in response["Permissions-Policy"], path


@pytest.mark.django_db
def test_content_security_policy_forbids_inline_script_framing_and_plugins(client, pages):
    for path in pages:
        directives = csp_directives(client.get(path, secure=True))
        scripts = directives.get("script-src", directives["default-src"])
        assert "'unsafe-inline'" not in scripts, path
        assert "'unsafe-eval'" not in scripts, path
        assert "*" not in scripts and "data:" not in scripts and "https:" not in scripts
        assert directives["default-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == ["'self'"]
        assert directives["form-action"] == ["'self'"]


def test_admin_pages_carry_the_policy_too(admin_client):
    response = admin_client.get(reverse("admin:index"), secure=True)
    assert response.status_code == 200
    assert "'unsafe-inline'" not in csp_directives(response)["script-src"]


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_when_asked(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/", secure=False)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_login_cookies_are_secure_httponly_and_samesite(client, superuser):
    login_url = reverse("admin:login")
    page = client.get(login_url, secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(
        login_url,
        {
            "username": superuser.username,
            "password": "correct-horse-battery-staple",
            "csrfmiddlewaretoken": csrf.value,
            "next": reverse("admin:index"),
        },
        secure=True,
    )
    assert response.status_code == 302, response.content[:500]
    session = response.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"


def run_manage(*args, env):
    drop = {
        "SECRET_KEY",
        "DEBUG",
        "DATABASE_URL",
        "SECURE_SSL_REDIRECT",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by browser tests; check --deploy rejects it
    }
    base = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_values_and_redis():
    env = {**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/5"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_admin_address_comes_from_the_environment():
    code = "from django.urls import reverse; print(reverse('admin:index'))"
    result = run_manage("shell", "-c", code, env={"DEBUG": "1", "ADMIN_URL": "/desk-7f3a/"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "/desk-7f3a/"
    default = run_manage("shell", "-c", code, env={"DEBUG": "1"})
    assert default.stdout.split()[-1] == "/admin/"
