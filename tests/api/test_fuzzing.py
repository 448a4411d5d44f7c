"""Schemathesis against the API as deployed (gunicorn, production settings): generated
requests, bounded in number and time, find no server error and no answer that breaks
the published OpenAPI document."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import AppServer, collected_static, manage, migrate

pytestmark = pytest.mark.slow

SEED = """
import datetime
from django.utils import timezone
from articles.models import Article, Author, Byline, Section
section = Section.objects.create(name="News", slug="news")
author = Author.objects.create(name="Ada Lovelace", slug="ada")
for number in range(30):
    article = Article.objects.create(
        headline=f"Story {number}", slug=f"story-{number}", section=section,
        body="<p>Hello <script>alert(1)</script> world</p>", status="published",
        published_at=timezone.now() - datetime.timedelta(hours=number),
    )
    Byline.objects.create(article=article, author=author, position=0)
    article.tags.add("council", f"topic-{number % 4}")
Article.objects.create(headline="Draft", slug="draft", section=section)
"""

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("fuzz") / "site.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "TASKS_BACKEND": "immediate",
        "STATIC_ROOT": str(collected_static()),
    }
    migrate(env)
    manage("shell", "--no-imports", "-c", SEED, env=env)
    with AppServer(env, workers=2) as server:
        yield server


def test_schemathesis_finds_no_server_error_and_no_schema_violation(api_server, tmp_path):
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        api_server.url("/api/v1/openapi.json"),
        "--checks",
        CHECKS,
        "--max-examples",
        "40",
        "--seed",
        "20261128",
        "--request-timeout",
        "10",
        "--no-color",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "5 passed" in output or "passed" in output, output[-2000:]
