"""Dependencies fail; the site answers properly and recovers by itself.

Real servers: a private PostgreSQL and Redis (tests/servers.py) that the tests stop
and start, and the app under gunicorn in production mode.
"""

import re
import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.servers import ROOT, AppServer, app_environment, collected_static, manage, migrate

from .live import Browser, form_fields

pytestmark = pytest.mark.slow

SEED = """
from tests.factories import ArticleFactory
article = ArticleFactory(headline="Harbour bridge reopens after repairs", comments_enabled=True)
print("ARTICLE", article.pk, article.get_absolute_url())
"""


def seed(env):
    out = manage("shell", "-c", SEED, env=env)
    match = re.search(r"ARTICLE (\d+) (\S+)", out)
    return int(match.group(1)), match.group(2)


def wait_for(predicate, timeout=15, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


COMMENT_ENV = {
    "COMMENTS_MIN_FORM_SECONDS": "0",
    "COMMENTS_RATE_LIMIT_INTERVAL": "0",
    "COMMENTS_RATE_LIMIT_HOURLY": "100000",
    "COMMENTS_CLOSE_AFTER_DAYS": "0",
    "PAGE_CACHE_SECONDS": "0",
}


@pytest.fixture(scope="module")
def pg_stack(private_postgres, private_redis):
    """gunicorn + the private PostgreSQL + the private Redis, with one live article."""
    database = private_postgres.create_database(f"failures_{uuid.uuid4().hex[:8]}")
    env = {"DATABASE_URL": database, "REDIS_URL": private_redis.url(1), **COMMENT_ENV}
    migrate(env)
    article_id, article_url = seed(env)
    with AppServer(env, workers=2, threads=2) as app:
        yield {
            "pg": private_postgres,
            "redis": private_redis,
            "app": app,
            "env": env,
            "article_id": article_id,
            "article_url": article_url,
        }


def comment_count(pg, database_url, body):
    name = database_url.rsplit("/", 1)[1]
    sql = f"SELECT count(*) FROM comments_comment WHERE body = '{body}'"
    return int(pg.psql(sql, database=name))


def fetch_comment_form(browser, article_id):
    page = browser.get(f"/comments/form/{article_id}/")
    assert page.status == 200, page.text[:500]
    action, fields = form_fields(page.text, action="/comments/post/")
    assert "csrfmiddlewaretoken" in fields
    return action, fields


def test_postgres_outage_answers_503_pages_and_the_site_recovers(pg_stack):
    pg, app = pg_stack["pg"], pg_stack["app"]
    reader = Browser(app.url())
    assert reader.get("/").status == 200
    assert reader.get(pg_stack["article_url"]).status == 200
    assert reader.get("/healthz").status == 200

    pg.stop()
    try:
        # The front page and the article were read before the outage: what they are
        # built on is kept in the fragment cache, and needs no database.
        for path in ["/", pg_stack["article_url"]]:
            page = reader.get(path)
            assert page.status == 200 and "Harbour bridge reopens" in page.text, path
        for path in ["/search/?q=bridge", "/section/news/", "/author/nobody-read-yet/"]:
            page = reader.get(path)
            assert page.status == 503, (path, page.status, page.text[:300])
            assert "be back in a moment" in page.text
            assert "Traceback" not in page.text and "OperationalError" not in page.text
            assert page.headers["Retry-After"] == "30"
            assert "no-store" in page.headers["Cache-Control"]
        health = reader.get("/healthz")
        assert health.status == 503
        assert "unavailable" in health.text
        # The outage page's stylesheet needs no database either.
        outage = reader.get("/search/?q=bridge").text
        css = re.search(r'href="([^"]+outage[^"]*\.css)"', outage).group(1)
        assert reader.get(css).status == 200
    finally:
        pg.start()

    # Persistent connections notice the restart by themselves (CONN_HEALTH_CHECKS).
    assert wait_for(lambda: reader.get("/healthz").status == 200)
    for _ in range(6):  # every worker and thread recovers, not just one
        assert reader.get("/").status == 200
        assert reader.get(pg_stack["article_url"]).status == 200


def test_a_comment_posted_during_an_outage_is_kept_for_the_reader_and_not_half_written(
    pg_stack,
):
    pg, app = pg_stack["pg"], pg_stack["app"]
    reader = Browser(app.url())
    action, fields = fetch_comment_form(reader, pg_stack["article_id"])
    body = f"The bridge was closed for eight months {uuid.uuid4().hex}"
    fields.update({"name": "Ada", "email": "ada@example.org", "body": body})

    pg.stop()
    try:
        answer = reader.post(action, fields)
        assert answer.status == 503
        assert "try again" in answer.text
        assert body in answer.text  # the reader's words are on the page to copy
        assert "ada@example.org" in answer.text
        assert fields["csrfmiddlewaretoken"] not in answer.text
    finally:
        pg.start()
    assert wait_for(lambda: reader.get("/healthz").status == 200)
    database = pg_stack["env"]["DATABASE_URL"]
    assert comment_count(pg, database, body) == 0

    again = reader.post(action, fields)
    assert again.status == 200, again.text[:500]
    assert comment_count(pg, database, body) == 1


def test_redis_outage_the_site_keeps_serving_from_the_database(pg_stack):
    redis, app = pg_stack["redis"], pg_stack["app"]
    reader = Browser(app.url())
    assert reader.get(pg_stack["article_url"]).status == 200

    redis.stop()
    try:
        for path in ["/", pg_stack["article_url"], "/search/?q=bridge", "/healthz"]:
            page = reader.get(path)
            assert page.status == 200, (path, page.status, page.text[:300])
        assert "Harbour bridge reopens" in reader.get(pg_stack["article_url"]).text
        # Posting a comment still works: the rate limiter fails open, the text is stored.
        action, fields = fetch_comment_form(reader, pg_stack["article_id"])
        body = f"Posted while the cache was down {uuid.uuid4().hex}"
        fields.update({"name": "Grace", "email": "grace@example.org", "body": body})
        assert reader.post(action, fields).status == 200
        database = pg_stack["env"]["DATABASE_URL"]
        assert comment_count(pg_stack["pg"], database, body) == 1
        assert wait_for(lambda: "Redis cache unavailable" in app.logs(200), timeout=5)
    finally:
        redis.start()
    assert reader.get("/").status == 200


def test_sqlite_concurrent_writers_never_see_database_is_locked(tmp_path):
    """Twelve threads post comments at once to four single-threaded gunicorn workers
    sharing one SQLite file: every post is stored, none answers 'database is locked'."""
    database = tmp_path / "concurrent.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{database}", **COMMENT_ENV}
    migrate(env)
    article_id, _ = seed(env)
    posts = 120
    with AppServer(env, workers=4, threads=1) as app:

        def post(n):
            reader = Browser(app.url())
            action, fields = fetch_comment_form(reader, article_id)
            fields.update(
                {
                    "name": f"Writer {n}",
                    "email": f"w{n}@example.org",
                    "body": f"Note {n} {uuid.uuid4()}",
                }
            )
            return reader.post(action, fields)

        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(post, range(posts)))
        logs = app.logs(400)

    statuses = [a.status for a in answers]
    assert statuses.count(200) == posts, sorted(set(statuses))
    assert not any("database is locked" in a.text for a in answers)
    assert "database is locked" not in logs
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT count(*) FROM comments_comment").fetchone()[0]
    assert stored == posts


def test_the_outage_page_renders_without_a_database_connection():
    """Rendered in a fresh process whose database does not exist."""
    code = (
        "from django.test import RequestFactory;"
        "from newsroom.middleware import service_unavailable;"
        "r = service_unavailable(RequestFactory().post('/x', {'body': 'kept words'}));"
        "print(r.status_code, 'kept words' in r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=app_environment(
            {
                "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
                "STATIC_ROOT": str(collected_static()),
            }
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split()[-2:] == ["503", "True"], result.stdout + result.stderr


def test_cached_pages_keep_serving_readers_while_postgres_is_down(pg_stack):
    """With the shared page cache on, pages readers already fetched stay up during a
    database outage; pages that need the database answer the 503 page."""
    pg = pg_stack["pg"]
    env = {**pg_stack["env"], "PAGE_CACHE_SECONDS": "300", "REDIS_URL": pg_stack["redis"].url(3)}
    with AppServer(env, workers=1, threads=2) as app:
        reader = Browser(app.url())
        for path in ["/", pg_stack["article_url"]]:
            assert reader.get(path).status == 200
            assert reader.get(path).status == 200  # now from the cache
        pg.stop()
        try:
            for path in ["/", pg_stack["article_url"]]:
                page = reader.get(path)
                assert page.status == 200, (path, page.status)
                assert "Harbour bridge reopens" in page.text
            assert reader.get("/search/?q=uncached-words").status == 503
        finally:
            pg.start()
        assert wait_for(lambda: reader.get("/healthz").status == 200)
