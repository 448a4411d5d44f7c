"""Newsroom's benchmark: the real site, production settings, gunicorn, PostgreSQL, Redis, wrk.

Run it with `bench/run` (see bench/README.md). Every figure is also reported as a ratio
to a do-nothing view measured in the same run through the same middleware, so that
runs on a busy or a different machine can still be compared.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import live  # noqa: E402  (beside this script)
import newsday  # noqa: E402

from tests.servers import AppServer, manage  # noqa: E402

RESULTS = BENCH / "results"
STATS_LUA = BENCH / "stats.lua"
POST_LUA = BENCH / "post.lua"
MIX_LUA = BENCH / "mix.lua"
JUNK_LUA = BENCH / "junk.lua"

SECRET = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"  # noqa: S105
BENCH_USER = "bench-admin"
BENCH_PASSWORD = "bench-admin-password-0123"  # noqa: S105 - a local benchmark account
# An editor (the Editor group, not a superuser): the desk as the newsroom uses it.
BENCH_EDITOR = "bench-editor"

# name, label, measured with the page cache on as well
PAGES = [
    ("ceiling", "do-nothing view (ceiling)", True),
    ("home", "home", True),
    ("section", "section page", True),
    ("tag", "tag page", True),
    ("article50", "article, 50 comments", True),
    ("hot", "hot article (2,000 comments), first page", True),
    ("search_common", "search, common word", True),
    ("search_rare", "search, rare word", True),
    ("rss", "latest RSS", True),
    ("deep", "deep archive page", True),
    ("api_articles", "API article list (20 items)", True),
    ("admin", "admin change list (signed in)", False),
    ("desk_list", "admin change list (editor)", False),
    ("budget", "budget view (editor)", False),
    ("post", "comment posting", False),
]
SIZE_PAGES = ["ceiling", "home", "section", "tag", "deep"]

TARGETS_TEXT = """
Targets (issue 7): article with 50 comments >= 20% of the ceiling's req/s with the page
cache off and >= 90% with it on; home, section and tag >= 20% with it off; hot article
p50 <= 1.5x the 50-comment article; search p95 <= 50 ms (common) and <= 20 ms (rare);
list and deep pages at 100k within 20% of 1k; admin change list p50 <= 150 ms; comment
posting >= 100/s with every accepted post stored; workers < 150 MB RSS after 10,000
requests and no growth from 10,000 to 20,000. Issue 14: the API article list (20 items)
>= 20% with the page cache off and >= 90% with it on; an admin publish with 20 webhooks
p50 <= 1.2x with none, every delivery received. Issue 16: the change list and the budget,
signed in as an editor, p50 < 150 ms.
"""


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- set-up ------------------------------------------------------------------------------


def find_wrk():
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk not found: installing Debian's wrk package")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True)
        return shutil.which("wrk")
    sys.exit("wrk is needed: install it (Debian/Ubuntu: apt-get install wrk) and run again.")


def base_env(args, database_url, page_cache_seconds=0):
    return {
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "PAGE_CACHE_SECONDS": str(page_cache_seconds),
        "BENCH_ENDPOINTS": "1",
        "STATIC_ROOT": str(BENCH / ".static"),
        "MEDIA_ROOT": str(BENCH / ".media"),
        "LOG_LEVEL": "ERROR",
        # Comment posting is measured from one address, as fast as it goes.
        "COMMENTS_RATE_LIMIT_INTERVAL": "0",
        "COMMENTS_RATE_LIMIT_HOURLY": "100000000",
        "COMMENTS_MIN_FORM_SECONDS": "0",
        "COMMENTS_SPAM_WAVE_ARTICLES": "100000",
    }


def database_url(base_url, name):
    parts = urllib.parse.urlsplit(base_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def ensure_database(url):
    import psycopg

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    admin = database_url(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def article_count(url):
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM articles_article").fetchone()[0]


def prepare_database(args, url, articles, regenerate=False):
    ensure_database(url)
    env = base_env(args, url)
    log(f"migrating {url}")
    manage("migrate", "--noinput", env=env, timeout=600)
    have = article_count(url)
    if regenerate or have == 0:
        if have:
            log(f"--regenerate: emptying {have:,} articles first")
            manage("flush", "--noinput", env=env, timeout=600)
        log(f"generating {articles:,} articles and {articles * 10:,} comments")
        started = time.monotonic()
        process = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "generate_content",
                "--articles",
                str(articles),
                "--comments",
                str(articles * 10),
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
        )
        log(f"generated in {time.monotonic() - started:.0f}s ({process.returncode})")
    elif have < articles * 0.9:
        log(f"note: {have:,} articles in the database (asked for {articles:,}); using them")
    script = (
        "from django.contrib.auth.models import User\n"
        f"u, _ = User.objects.get_or_create(username={BENCH_USER!r})\n"
        "u.is_staff = u.is_superuser = True\n"
        f"u.set_password({BENCH_PASSWORD!r})\n"
        "u.save()\n"
        "from django.contrib.auth.models import Group\n"
        f"e, _ = User.objects.get_or_create(username={BENCH_EDITOR!r})\n"
        "e.is_staff, e.is_superuser = True, False\n"
        f"e.set_password({BENCH_PASSWORD!r})\n"
        "e.save()\n"
        "e.groups.set([Group.objects.get(name='Editor')])\n"
    )
    manage("shell", "-c", script, env=env)
    return env


TARGETS_SCRIPT = r"""
import json
from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from articles.models import Article, Section
from articles.management.commands.generate_content import COMMON_WORD, RARE_WORD
from comments.models import Comment
from taggit.models import Tag

live = Article.objects.live()
hot = live.filter(featured=True).order_by("-published_at").first() or live.first()
fifty = (
    live.exclude(pk=hot.pk)
    .annotate(n=Count("comments", filter=Q(comments__status="approved")))
    .filter(n=50)
    .order_by("-published_at")
    .first()
)
section = Section.objects.annotate(n=Count("articles")).order_by("-n").first()
tag = Tag.objects.annotate(n=Count("articles_taggedarticle_items")).order_by("-n").first()
per_page = 20
# The last *full* page: a half-empty last page renders fewer cards, which would make
# the small archive's deep page look cheaper for a reason that is not its size.
pages = max(1, live.filter(section=section).count() // per_page)
print(json.dumps({
    "home": reverse("articles:home"),
    "section": reverse("articles:section", kwargs={"slug": section.slug}),
    "tag": reverse("articles:tag", kwargs={"slug": tag.slug}),
    "article50": fifty.get_absolute_url() if fifty else hot.get_absolute_url(),
    "hot": hot.get_absolute_url(),
    "hot_id": hot.pk,
    "search_common": reverse("articles:search") + "?q=" + COMMON_WORD,
    "search_rare": reverse("articles:search") + "?q=" + RARE_WORD,
    "rss": reverse("articles:feed_latest"),
    "deep": reverse("articles:section", kwargs={"slug": section.slug}) + f"?page={pages}",
    "admin": reverse("admin:articles_article_changelist"),
    "desk_list": reverse("admin:articles_article_changelist"),
    "budget": reverse("admin:articles_article_budget"),
    "admin_login": reverse("admin:login"),
    "ceiling": "/bench/noop/",
    "api_articles": reverse("api:article_list"),
    "post": reverse("comments:post", args=[hot.pk]),
    "post_form": reverse("comments:form", args=[hot.pk]),
    "articles": Article.objects.count(),
    "comments": Comment.objects.count(),
}))
"""


def find_targets(env):
    out = manage("shell", "-c", TARGETS_SCRIPT, env=env)
    return json.loads(out.strip().splitlines()[-1])


# -- HTTP helpers ------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The named fields of the first form with a password or textarea, as a browser sends them."""

    def __init__(self):
        super().__init__()
        self.fields = {}
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox"):
            self.fields[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def opener():
    jar = CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def form_fields(open_url, url):
    with open_url.open(url, timeout=30) as response:
        parser = FormParser()
        parser.feed(response.read().decode())
    return parser.fields


def cookie_header(jar):
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def admin_session(server, targets, username=BENCH_USER):
    client, jar = opener()
    login = server.url(targets["admin_login"])
    fields = form_fields(client, login)
    fields.update({"username": username, "password": BENCH_PASSWORD, "next": targets["admin"]})
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(login, data=data, headers={"Referer": login})
    with client.open(request, timeout=30) as response:
        if not response.geturl().endswith(targets["admin"]):
            raise RuntimeError(f"admin login failed (ended at {response.geturl()})")
    return cookie_header(jar)


def comment_post_setup(server, targets, marker):
    client, jar = opener()
    fields = form_fields(client, server.url(targets["post_form"]))
    fields.update({"name": marker, "email": "bench@example.org", "website": ""})
    fields.pop("body", None)
    fields.pop("token", None)  # a form serves one post: post.lua gives each its own
    return urllib.parse.urlencode(fields), cookie_header(jar)


# Enough one-use form tokens for one wrk run of any length this bench makes.
POST_TOKENS = 60_000
TOKENS_SCRIPT = """
from comments.forms import form_token
with open({path!r}, "w") as out:
    out.write("\\n".join(form_token({article}) for _ in range({count})))
"""


def fresh_form_tokens(server, article_id, path):
    """A file of new form tokens, each good for one post, as the comment form would give
    them (made by the app itself, so they are signed as the server expects)."""
    script = TOKENS_SCRIPT.format(path=str(path), article=article_id, count=POST_TOKENS)
    manage("shell", "-c", script, env=server.env)
    return str(path)


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read()


# -- wrk ---------------------------------------------------------------------------------


def wrk(wrk_path, url, connections, seconds, script=STATS_LUA, headers=(), env=None):
    threads = min(connections, 2)
    command = [
        wrk_path,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
    ]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        env={**os.environ, **(env or {})},
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed: {result.stdout}\n{result.stderr}")
    stats = json.loads(lines[-1])
    stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
    return stats


def measure(args, wrk_path, server, name, path, headers=(), env=None, script=STATS_LUA, many=True):
    """`env` may be a function, called afresh for each wrk run."""
    url = server.url(path)
    if script is STATS_LUA:
        for _ in range(3):  # warm: templates, connections, the page cache
            status, _ = get(url, dict(h.split(": ", 1) for h in headers))
            if status != 200:
                raise RuntimeError(f"{name}: {url} answered {status}")
    env_for_run = env if callable(env) else (lambda: env)
    one = wrk(wrk_path, url, 1, args.seconds, script, headers, env_for_run())
    many = wrk(wrk_path, url, 16, args.seconds, script, headers, env_for_run()) if many else one
    for stats in (one, many):
        if stats["errors_status"] and script is STATS_LUA:
            raise RuntimeError(f"{name}: {stats['errors_status']} non-2xx answers from {url}")
    return {
        "p50_ms": one["p50_us"] / 1000,
        "p95_ms": one["p95_us"] / 1000,
        "p99_ms": one["p99_us"] / 1000,
        "rps_1": one["rps"],
        "rps_16": many["rps"],
        "requests": one["requests"] + many["requests"],
        "non_2xx": one["errors_status"] + many["errors_status"],
        "accepted": (one["requests"] - one["errors_status"])
        + (many["requests"] - many["errors_status"]),
    }


def median_of(rounds):
    keys = rounds[0].keys()
    return {key: statistics.median(r[key] for r in rounds) for key in keys}


def worker_rss_mb(server):
    """Resident memory of each gunicorn worker (the master's children), in MB."""
    out = subprocess.run(
        ["ps", "-o", "pid=,ppid=,rss=", "--ppid", str(server.process.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return sorted(int(line.split()[2]) / 1024 for line in out.splitlines() if line.strip())


def comment_count(url, marker):
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM comments_comment WHERE name = %s", [marker]
        ).fetchone()[0]


def delete_comments(url, marker):
    import psycopg

    with psycopg.connect(url) as conn:
        # Requests still in flight when wrk stopped may be inserting a comment and its
        # first event right now: hold new comments off until this transaction ends.
        conn.execute("LOCK TABLE comments_comment IN SHARE ROW EXCLUSIVE MODE")
        posted = "SELECT id FROM comments_comment WHERE name = %s"
        for table in ("comments_moderationevent", "comments_commentflag"):
            conn.execute(f"DELETE FROM {table} WHERE comment_id IN ({posted})", [marker])  # noqa: S608
        conn.execute("DELETE FROM comments_comment WHERE name = %s", [marker])


def flush_redis(redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()


# -- the phases --------------------------------------------------------------------------


def run_mode(args, wrk_path, url, targets, cache_seconds, results):
    mode = "on" if cache_seconds else "off"
    env = base_env(args, url, cache_seconds)
    flush_redis(args.redis_url)
    log(f"page cache {mode}: starting gunicorn ({args.workers} workers)")
    with AppServer(env, workers=args.workers, timeout=60) as server:
        admin_cookie = admin_session(server, targets) if mode == "off" else None
        editor_cookie = admin_session(server, targets, BENCH_EDITOR) if mode == "off" else None
        rounds = {name: [] for name, _, _ in PAGES}
        for number in range(1, args.rounds + 1):
            log(f"page cache {mode}: round {number}/{args.rounds}")
            for name, _, with_cache in PAGES:
                if (mode == "on" and not with_cache) or (args.only and name not in args.only):
                    continue
                if name == "admin":
                    stats = measure(
                        args,
                        wrk_path,
                        server,
                        name,
                        targets["admin"],
                        headers=[f"Cookie: {admin_cookie}"],
                    )
                elif name in ("desk_list", "budget"):
                    stats = measure(
                        args,
                        wrk_path,
                        server,
                        name,
                        targets[name],
                        headers=[f"Cookie: {editor_cookie}"],
                    )
                elif name == "post":
                    stats = measure_posting(args, wrk_path, server, url, targets, number)
                else:
                    stats = measure(args, wrk_path, server, name, targets[name])
                rounds[name].append(stats)
        for name, measured in rounds.items():
            if measured:
                results["pages"].setdefault(name, {})[mode] = median_of(measured)
        if mode == "off" and args.memory_requests:
            results["memory"] = measure_memory(args, wrk_path, server, targets)


def measure_posting(args, wrk_path, server, url, targets, number):
    marker = f"Bench poster {os.getpid()}-{number}"
    body, cookie = comment_post_setup(server, targets, marker)
    before = comment_count(url, marker)
    tokens = BENCH / f".post-tokens-{os.getpid()}"

    def env():  # each wrk run posts with tokens no run has used
        return {
            "BENCH_POST_BODY": body,
            "BENCH_POST_TOKENS": fresh_form_tokens(server, targets["hot_id"], tokens),
        }

    try:
        stats = measure(
            args,
            wrk_path,
            server,
            "post",
            targets["post"],
            headers=[f"Cookie: {cookie}"],
            env=env,
            script=POST_LUA,
        )
    finally:
        tokens.unlink(missing_ok=True)
    stored = comment_count(url, marker) - before
    stats["stored"] = stored
    stats["all_stored"] = 1.0 if stored >= stats["accepted"] else 0.0
    if stats["non_2xx"]:
        log(f"comment posting: {stats['non_2xx']} posts refused")
    delete_comments(url, marker)
    return stats


def measure_memory(args, wrk_path, server, targets):
    """Workers' RSS after N and 2N requests of a mix of pages (page cache off, fragments on).

    The load runs in 5-second wrk runs until N requests are served or the time cap is
    reached (a busy machine); the counts actually served are recorded."""
    paths = [targets[name] for name in ("home", "section", "tag", "article50", "hot", "rss")]
    paths += [targets["search_common"], targets["search_rare"], targets["deep"]]
    env = {"BENCH_PATHS": "\n".join(paths)}

    def load(count):
        served, started = 0, time.monotonic()
        while served < count and time.monotonic() - started < args.memory_seconds:
            served += wrk(wrk_path, server.url("/"), 16, 5, MIX_LUA, env=env)["requests"]
        return served

    log(f"memory: {args.memory_requests:,} requests, then {args.memory_requests:,} more")
    first_served = load(args.memory_requests)
    first = worker_rss_mb(server)
    second_served = first_served + load(args.memory_requests)
    second = worker_rss_mb(server)
    return {
        "requests": first_served,
        "requests_total": second_served,
        "rss_mb_after_n": first,
        "rss_mb_after_2n": second,
        "max_rss_mb": max(second),
        "growth_mb": max(b - a for a, b in zip(first, second, strict=False)),
    }


def measure_rendered(args, wrk_path, url, targets):
    """SIZE_PAGES rendered from the database on every request: page cache and fragment
    cache off, so the figures are the cost of the queries and templates themselves."""
    env = {**base_env(args, url, 0), "FRAGMENT_CACHE_SECONDS": "0"}
    flush_redis(args.redis_url)
    with AppServer(env, workers=args.workers, timeout=60) as server:
        rounds = {name: [] for name in SIZE_PAGES}
        for _ in range(args.rounds):
            for name in SIZE_PAGES:
                stats = measure(args, wrk_path, server, name, targets[name], many=False)
                rounds[name].append(stats)
    return {name: median_of(measured) for name, measured in rounds.items()}


def run_small(args, wrk_path, targets, results):
    """The list pages rendered in full (no page or fragment cache) on the 100,000-article
    database and on a 1,000-article one: their cost must not grow with the archive."""
    log("lists rendered in full (page and fragment cache off): 100,000 articles")
    results["rendered"] = measure_rendered(args, wrk_path, args.database_url, targets)
    url = database_url(args.database_url, urllib.parse.urlsplit(args.database_url).path[1:] + "_1k")
    prepare_database(args, url, 1000)
    small_targets = find_targets(base_env(args, url))
    log("lists rendered in full (page and fragment cache off): 1,000 articles")
    results["small"] = measure_rendered(args, wrk_path, url, small_targets)
    results["small_articles"] = small_targets["articles"]


def run_newsday(args, wrk_path, url, targets, results):
    """A news day with the site as deployed (page cache and fragments on): see newsday.py.
    `--app-dir` runs another checkout's code against the same data (before and after)."""
    env = base_env(args, url, 300)
    flush_redis(args.redis_url)
    root = Path(args.app_dir).resolve() if args.app_dir else ROOT
    log(f"news day: starting gunicorn ({args.workers} workers) from {root}")
    with AppServer(env, workers=args.workers, timeout=60, root=root) as server:
        ceiling = measure(args, wrk_path, server, "ceiling", targets["ceiling"])
        figures = newsday.run(
            args,
            wrk_path,
            server,
            lambda script: manage("shell", "-c", script, env=env, timeout=600),
            BENCH_USER,
            BENCH_PASSWORD,
            wrk,
        )
    figures["ceiling_rps"] = ceiling["rps_16"]
    figures["code"] = str(root)
    results["newsday"] = figures


def run_live(args, wrk_path, url, targets, results):
    """A live article with 500 updates, polled and read while an editor posts (the page
    cache and fragments on, as deployed): see live.py."""
    env = base_env(args, url, 300)
    flush_redis(args.redis_url)
    log(f"live article: starting gunicorn ({args.workers} workers)")
    with AppServer(env, workers=args.workers, timeout=60) as server:
        figures = live.run(
            args,
            wrk_path,
            server,
            lambda script: manage("shell", "-c", script, env=env, timeout=600),
            BENCH_USER,
            BENCH_PASSWORD,
            wrk,
            get,
        )
    results["live"] = figures


def redis_keys(redis_url):
    import redis

    return redis.Redis.from_url(redis_url).dbsize()


def run_junk(args, wrk_path, url, targets, results):
    """10,000 anonymous requests with made-up query strings (the page cache on): the
    keys in Redis before and after."""
    env = base_env(args, url, 300)
    flush_redis(args.redis_url)
    with AppServer(env, workers=args.workers, timeout=60) as server:
        for _ in range(3):
            get(server.url("/"))
        before = redis_keys(args.redis_url)
        served, started = 0, time.monotonic()
        while served < 10_000 and time.monotonic() - started < 300:
            served += wrk(wrk_path, server.url("/"), 16, 3, JUNK_LUA)["requests"]
        after = redis_keys(args.redis_url)
    results["junk"] = {"requests": served, "keys_before": before, "keys_after": after}


INPROCESS_SCRIPT = r"""
import json, statistics, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

with override_settings(
    PAGE_CACHE_SECONDS=0,
    FRAGMENT_CACHE_SECONDS=0,
    CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
    ALLOWED_HOSTS=["testserver"],
):
    client = Client()
    for _ in range(20):
        assert client.get(URL).status_code == 200
    times = []
    for _ in range(300):
        started = time.perf_counter()
        client.get(URL)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
print(json.dumps({"p50_ms": statistics.median(times), "queries": len(queries)}))
"""


RICH_SCRIPT = r"""
import json, statistics, time
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from articles.models import Article, Embed, Image, Section


class RolledBack(Exception):
    pass


def measure(client, url):
    for _ in range(20):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(300):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {"p50_ms": statistics.median(times), "queries": len(queries)}


found = {}
with override_settings(
    PAGE_CACHE_SECONDS=0,
    FRAGMENT_CACHE_SECONDS=0,
    CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
    ALLOWED_HOSTS=["testserver"],
):
    try:
        # Two stories made for the measurement and rolled back after it: the same text,
        # one of them with 5 figures, a gallery of 12 and 3 embeds.
        with transaction.atomic():
            images = list(Image.objects.exclude(renditions={}).order_by("pk")[:12])
            embeds = [
                Embed.objects.create(
                    url=f"https://www.youtube.com/watch?v=bench{n}",
                    provider="YouTube",
                    status="resolved",
                    title=f"Clip {n}",
                    frame_url=f"https://www.youtube-nocookie.com/embed/bench{n}",
                )
                for n in range(3)
            ]
            text = "".join(
                f"<p>Paragraph {n} of the story, as long as a paragraph of news is.</p>"
                for n in range(20)
            )
            figures = "".join(
                f'<figure data-image="{images[n].pk}" data-width="wide"></figure>'
                for n in range(5)
            )
            gallery = ",".join(str(image.pk) for image in images)
            rich_body = (
                text[: len(text) // 2] + figures + f'<figure data-gallery="{gallery}"></figure>'
                + "".join(f'<figure data-embed="{embed.url}"></figure>' for embed in embeds)
                + text[len(text) // 2 :]
            )
            when = timezone.now() - timezone.timedelta(minutes=5)
            made = {}
            for name, body in (("plain", text), ("rich", rich_body)):
                made[name] = Article.objects.create(
                    headline=f"Bench {name} story", slug=f"bench-{name}-story", body=body,
                    section=Section.objects.order_by("pk").first(), status="published",
                    published_at=when,
                )
            assert made["rich"].body_html.count("data-gallery-item") == len(images)
            assert made["rich"].body_html.count("data-embed-load") == 3
            client = Client()
            for name, story in made.items():
                found[name] = measure(client, story.get_absolute_url())
            raise RolledBack
    except RolledBack:
        pass
print(json.dumps(found))
"""


def run_full_render(args, wrk_path, url, targets, results):
    """The 50-comment article rendered with no cache at all (page and fragment caches off,
    a dummy cache): what the first reader after a change pays, over HTTP and in-process."""
    env = {
        **base_env(args, url, 0),
        "FRAGMENT_CACHE_SECONDS": "0",
        "CACHE_BACKEND": "dummy",
        "REDIS_URL": "",
    }
    log("full render: the 50-comment article with no cache at all")
    with AppServer(env, workers=args.workers, timeout=60) as server:
        rounds = {"ceiling": [], "article50": []}
        for _ in range(args.rounds):
            for name in rounds:
                rounds[name].append(measure(args, wrk_path, server, name, targets[name]))
    results["full_render"] = {name: median_of(measured) for name, measured in rounds.items()}
    script = INPROCESS_SCRIPT.replace("URL", repr(targets["article50"]))
    out = manage("shell", "-c", script, env=env, timeout=600)
    results["full_render"]["in_process"] = json.loads(out.strip().splitlines()[-1])
    out = manage("shell", "-c", RICH_SCRIPT, env=env, timeout=600)
    results["full_render"]["rich_vs_plain"] = json.loads(out.strip().splitlines()[-1])


# -- publishing with webhooks ------------------------------------------------------------

PUBLISH_MARK = "bench-publish-"

PUBLISH_SETUP = """
from articles.models import Article, Byline
from newsroom.models import Webhook
Article.objects.filter(slug__startswith=MARK).delete()
Webhook.objects.filter(name__startswith=MARK).delete()
model = Article.objects.live().filter(bylines__isnull=False).first()
authors = list(model.bylines.values_list("author_id", flat=True))
for number in range(COUNT):
    story = Article.objects.create(
        headline=f"Bench publish {number}", slug=f"{MARK}{number}", section=model.section,
        standfirst=model.standfirst, body=model.body, status=Article.Status.REVIEW,
    )
    Byline.objects.bulk_create(
        Byline(article=story, author_id=author, position=n) for n, author in enumerate(authors)
    )
for number in range(HOOKS):
    Webhook.objects.create(name=f"{MARK}{number}", url=URL, events=["article.published"])
print(json.dumps(list(Article.objects.filter(slug__startswith=MARK).order_by("pk")
    .values_list("pk", flat=True))))
"""

PUBLISH_CLEANUP = """
from articles.models import Article
from newsroom.models import Webhook
Webhook.objects.filter(name__startswith=MARK).delete()
print(Article.objects.filter(slug__startswith=MARK).delete()[0])
"""


class Receiver:
    """A webhook receiver on loopback that answers 204 and counts what it gets."""

    def __init__(self):
        import http.server
        import threading

        receiver = self
        self.count = 0
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.count += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def tasks_waiting(url):
    """Tasks due now that no worker has finished yet."""
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN "
            "('READY', 'RUNNING') AND (run_after <= now() OR run_after >= '9000-01-01')"
        ).fetchone()[0]


def admin_publish(server, targets, cookie, article_id):
    """One story published through the admin's bulk action (confirmed), as an editor
    does it; the time of the POST alone (the redirect that follows is not fetched)."""
    import http.client
    import re

    changelist = server.url(targets["admin"])
    request = urllib.request.Request(changelist, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=60) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "action": "publish_selected",
            "_selected_action": article_id,
            "confirm": "yes",
        }
    )
    parts = urllib.parse.urlsplit(changelist)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    started = time.perf_counter()
    connection.request(
        "POST",
        parts.path,
        body=body,
        headers={
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": changelist,
        },
    )
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    if response.status != 302:
        raise RuntimeError(f"publish of {article_id} answered {response.status}")
    return elapsed


def run_publish_webhooks(args, url, targets, results):
    """A publish's request time through the admin with 0 and with 20 webhooks listening
    (a real receiver on loopback, a real db_worker delivering): the request only writes
    a task row, so it must not grow with the receivers. Between two publishes the worker
    is let finish (up to 30 s), so its deliveries do not compete with the next request
    for the CPUs; the deliveries received are counted."""
    from tests.servers import app_environment

    receiver = Receiver()
    env = {
        **base_env(args, url, 0),
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "TASKS_BACKEND": "database",
        "LOG_LEVEL": "WARNING",
    }
    publishing = {}
    expected = 0
    try:
        with AppServer(env, workers=args.workers, timeout=60) as server:
            cookie = admin_session(server, targets)
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--no-reload",
                    "--no-startup-delay",
                    "--interval",
                    "0.2",
                    "--worker-id",
                    f"bench-{os.getpid()}",
                ],
                cwd=ROOT,
                env=app_environment(env),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                for hooks in (0, 20):
                    log(f"publishing {args.publishes} stories with {hooks} webhooks")
                    script = "import json\n" + PUBLISH_SETUP.replace(
                        "MARK", repr(PUBLISH_MARK)
                    ).replace("COUNT", str(args.publishes)).replace("HOOKS", str(hooks)).replace(
                        "URL", repr(receiver.url)
                    )
                    ids = json.loads(
                        manage("shell", "-c", script, env=env).strip().splitlines()[-1]
                    )
                    times = []
                    for article_id in ids:
                        deadline = time.monotonic() + 30
                        while tasks_waiting(url) and time.monotonic() < deadline:
                            time.sleep(0.1)
                        times.append(admin_publish(server, targets, cookie, article_id))
                    expected += hooks * len(ids)
                    deadline = time.monotonic() + 60
                    while receiver.count < expected and time.monotonic() < deadline:
                        time.sleep(0.1)
                    times.sort()
                    publishing[str(hooks)] = {
                        "p50_ms": statistics.median(times),
                        "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                        "max_ms": times[-1],
                        "publishes": len(times),
                    }
            finally:
                worker.terminate()
                worker.wait(timeout=120)
    finally:
        receiver.close()
        manage("shell", "-c", PUBLISH_CLEANUP.replace("MARK", repr(PUBLISH_MARK)), env=env)
    publishing["deliveries"] = receiver.count
    publishing["deliveries_expected"] = expected
    results["publish_webhooks"] = publishing


# -- report ------------------------------------------------------------------------------


def verdicts(results):
    pages = results["pages"]

    def stat(name, mode, key):
        return pages.get(name, {}).get(mode, {}).get(key)

    def ratio(name, mode):
        value, ceiling = stat(name, mode, "rps_16"), stat("ceiling", mode, "rps_16")
        return value / ceiling if value is not None and ceiling else None

    def over(a, b):
        return a / b if a is not None and b else None

    checks = [
        ("article 50 comments, cache off >= 20%", ratio("article50", "off"), 0.20, ">="),
        ("article 50 comments, cache on >= 90%", ratio("article50", "on"), 0.90, ">="),
        ("home, cache off >= 20%", ratio("home", "off"), 0.20, ">="),
        ("section, cache off >= 20%", ratio("section", "off"), 0.20, ">="),
        ("tag, cache off >= 20%", ratio("tag", "off"), 0.20, ">="),
        ("API article list, cache off >= 20%", ratio("api_articles", "off"), 0.20, ">="),
        ("API article list, cache on >= 90%", ratio("api_articles", "on"), 0.90, ">="),
        (
            "hot article p50 <= 1.5x 50-comment article",
            over(stat("hot", "off", "p50_ms"), stat("article50", "off", "p50_ms")),
            1.5,
            "<=",
        ),
        ("search common word p95 <= 50 ms", stat("search_common", "off", "p95_ms"), 50, "<="),
        ("search rare word p95 <= 20 ms", stat("search_rare", "off", "p95_ms"), 20, "<="),
        ("admin change list p50 <= 150 ms", stat("admin", "off", "p50_ms"), 150, "<="),
        ("change list as an editor p50 < 150 ms", stat("desk_list", "off", "p50_ms"), 150, "<"),
        ("budget as an editor p50 < 150 ms", stat("budget", "off", "p50_ms"), 150, "<"),
        ("comment posting >= 100/s", stat("post", "off", "rps_16"), 100, ">="),
        ("every accepted comment stored", stat("post", "off", "all_stored"), 1, ">="),
    ]
    small, rendered = results.get("small"), results.get("rendered")
    if small and rendered:
        for name in ("home", "section", "tag", "deep"):
            big = rendered[name]["p50_ms"] / rendered["ceiling"]["p50_ms"]
            little = small[name]["p50_ms"] / small["ceiling"]["p50_ms"]
            checks.append(
                (f"{name} rendered, 100k vs 1k (p50 ratio) <= 1.2", big / little, 1.2, "<=")
            )
    full = results.get("full_render")
    if full:
        ratio_full = full["article50"]["rps_16"] / full["ceiling"]["rps_16"]
        checks.append(("full render, article 50 comments >= 0.08", ratio_full, 0.08, ">="))
        checks.append(("full render in-process p50 <= 8 ms", full["in_process"]["p50_ms"], 8, "<="))
        pair = full.get("rich_vs_plain")
        if pair:
            slower = pair["rich"]["p50_ms"] / pair["plain"]["p50_ms"]
            checks.append(("rich story in-process vs same text alone <= 1.2", slower, 1.2, "<="))
            extra = pair["rich"]["queries"] - pair["plain"]["queries"]
            checks.append(("rich story: queries more than the text alone <= 0", extra, 0, "<="))
    if results.get("newsday"):
        checks.extend(newsday.checks(results["newsday"]))
    if results.get("live"):
        checks.extend(live.checks(results["live"]))
    junk = results.get("junk")
    if junk:
        added = junk["keys_after"] - junk["keys_before"]
        label = f"Redis keys added by {junk['requests']:,} junk query strings <= 5"
        checks.append((label, added, 5, "<="))
    publishing = results.get("publish_webhooks")
    if publishing:
        slower = publishing["20"]["p50_ms"] / publishing["0"]["p50_ms"]
        checks.append(("admin publish p50, 20 webhooks vs 0 <= 1.2", slower, 1.2, "<="))
        sent, wanted = publishing["deliveries"], publishing["deliveries_expected"]
        checks.append(("every webhook delivery received", sent / wanted, 1, ">="))
    memory = results.get("memory")
    if memory:
        n, total = memory["requests"], memory["requests_total"]
        checks.append(
            (f"worker RSS after {total:,} requests < 150 MB", memory["max_rss_mb"], 150, "<")
        )
        checks.append(
            (f"worker RSS growth {n:,} -> {total:,} <= 3 MB", memory["growth_mb"], 3, "<=")
        )
    out = []
    for label, value, limit, op in checks:
        if value is None:
            continue
        ok = {">=": value >= limit, "<=": value <= limit, "<": value < limit}[op]
        out.append({"check": label, "value": round(value, 3), "limit": limit, "met": ok})
    return out


def print_table(results):
    pages = results["pages"]
    ceiling = pages.get("ceiling", {})
    print()
    print(
        f"{'page':44} {'cache':5} {'p50 ms':>8} {'p99 ms':>8} {'p95 ms':>8} "
        f"{'req/s@1':>8} {'req/s@16':>9} {'x ceiling':>9}"
    )
    print("-" * 108)
    for name, label, _ in PAGES:
        for mode in ("off", "on"):
            stats = pages.get(name, {}).get(mode)
            if not stats or mode not in ceiling:
                continue
            share = stats["rps_16"] / ceiling[mode]["rps_16"]
            print(
                f"{label:44} {mode:5} {stats['p50_ms']:8.1f} {stats['p99_ms']:8.1f} "
                f"{stats['p95_ms']:8.1f} {stats['rps_1']:8.0f} {stats['rps_16']:9.0f} "
                f"{share:9.2f}"
            )
    small, rendered = results.get("small"), results.get("rendered")
    if small and rendered:
        print()
        print(
            "Rendered in full (page and fragment cache off), p50 in ms and as x the ceiling's "
            "p50 in the same run:"
        )
        print(f"  {'page':10} {'100k ms':>8} {'1k ms':>8} {'100k x':>8} {'1k x':>8} {'ratio':>6}")
        for name in SIZE_PAGES[1:]:
            big = rendered[name]["p50_ms"] / rendered["ceiling"]["p50_ms"]
            little = small[name]["p50_ms"] / small["ceiling"]["p50_ms"]
            print(
                f"  {name:10} {rendered[name]['p50_ms']:8.1f} {small[name]['p50_ms']:8.1f} "
                f"{big:8.1f} {little:8.1f} {big / little:6.2f}"
            )
    full = results.get("full_render")
    if full:
        print()
        ceiling_rps, article = full["ceiling"]["rps_16"], full["article50"]
        print(
            f"Full render (no cache at all), 50-comment article: {article['rps_16']:.0f} req/s "
            f"against the ceiling's {ceiling_rps:.0f} ({article['rps_16'] / ceiling_rps:.3f}), "
            f"p50 {article['p50_ms']:.1f} ms; in-process p50 "
            f"{full['in_process']['p50_ms']:.2f} ms in {full['in_process']['queries']} queries"
        )
        pair = full.get("rich_vs_plain")
        if pair:
            print(
                "A story with 5 figures, a gallery of 12 and 3 embeds, in-process with no cache: "
                f"{pair['rich']['p50_ms']:.2f} ms in {pair['rich']['queries']} queries; the same "
                f"text alone {pair['plain']['p50_ms']:.2f} ms in {pair['plain']['queries']} queries"
            )
    if results.get("newsday"):
        newsday.report(results["newsday"])
    if results.get("live"):
        live.report(results["live"])
    junk = results.get("junk")
    if junk:
        print()
        print(
            f"Junk query strings: {junk['requests']:,} requests for /?utm_source=<random>...; "
            f"Redis keys {junk['keys_before']} before, {junk['keys_after']} after"
        )
    publishing = results.get("publish_webhooks")
    if publishing:
        print()
        print("A publish through the admin (one story, bulk action confirmed), request time in ms:")
        for count in ("0", "20"):
            row = publishing[count]
            print(
                f"  {count:>2} webhooks: p50 {row['p50_ms']:.1f}, p95 {row['p95_ms']:.1f}, "
                f"max {row['max_ms']:.1f} ({row['publishes']} publishes)"
            )
        print(
            f"  deliveries received by the loopback receiver: {publishing['deliveries']} of "
            f"{publishing['deliveries_expected']}"
        )
    memory = results.get("memory")
    if memory:
        print()
        after_n = ", ".join(f"{m:.0f}" for m in memory["rss_mb_after_n"])
        after_2n = ", ".join(f"{m:.0f}" for m in memory["rss_mb_after_2n"])
        print(
            f"Worker RSS (MB) after {memory['requests']:,} requests: {after_n}; "
            f"after {memory['requests_total']:,}: {after_2n}"
        )
    print()
    print("Targets:")
    for check in results["checks"]:
        mark = "met    " if check["met"] else "MISSED "
        print(f"  {mark} {check['check']:48} {check['value']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nr_bench"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--regenerate", action="store_true", help="empty and generate again")
    parser.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)))
    parser.add_argument("--seconds", type=int, default=2, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument(
        "--memory-seconds", type=int, default=45, help="time cap for each half of the memory run"
    )
    parser.add_argument("--no-small", action="store_true", help="skip the 1,000-article run")
    parser.add_argument(
        "--publishes", type=int, default=20, help="admin publishes per webhook count"
    )
    parser.add_argument(
        "--only",
        type=lambda text: {"ceiling", *text.split(",")},
        default=None,
        help="measure only these pages (comma-separated names, e.g. search_common,post; "
        "publish_webhooks for the publish with 0 and 20 webhooks); "
        "skips the memory and 1,000-article runs",
    )
    parser.add_argument(
        "--newsday", action="store_true", help="run the news day (and nothing else unless --all)"
    )
    parser.add_argument("--newsday-seconds", type=int, default=30)
    parser.add_argument(
        "--full-render", action="store_true", help="run the no-cache full render (with --newsday)"
    )
    parser.add_argument(
        "--junk", action="store_true", help="10,000 requests with made-up query strings"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="the live article: 500 updates polled and read while an editor posts",
    )
    parser.add_argument("--live-seconds", type=int, default=30, help="length of each live phase")
    parser.add_argument(
        "--all", action="store_true", help="every phase, news day and live article included"
    )
    parser.add_argument(
        "--app-dir", default=None, help="serve the news day from another checkout (before/after)"
    )
    args = parser.parse_args()
    if args.only:
        args.no_small, args.memory_requests = True, 0

    started = time.monotonic()
    wrk_path = find_wrk()
    env = prepare_database(args, args.database_url, args.articles, args.regenerate)
    log("collectstatic")
    manage("collectstatic", "--noinput", "--clear", env=env, timeout=600)
    targets = find_targets(env)
    log(f"{targets['articles']:,} articles, {targets['comments']:,} comments")
    results = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_start": os.getloadavg(),
        },
        "settings": {
            "workers": args.workers,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "articles": targets["articles"],
            "comments": targets["comments"],
        },
        "urls": targets,
        "pages": {},
    }
    focused = (args.newsday or args.live or args.full_render or args.junk) and not args.all
    if not focused:
        run_mode(args, wrk_path, args.database_url, targets, 0, results)
        run_mode(args, wrk_path, args.database_url, targets, 300, results)
    if args.full_render or args.all:
        run_full_render(args, wrk_path, args.database_url, targets, results)
    if args.junk or args.all:
        run_junk(args, wrk_path, args.database_url, targets, results)
    if args.newsday or args.all:
        run_newsday(args, wrk_path, args.database_url, targets, results)
    if args.live or args.all:
        run_live(args, wrk_path, args.database_url, targets, results)
    if not focused and (not args.only or "publish_webhooks" in args.only):
        run_publish_webhooks(args, args.database_url, targets, results)
    if not args.no_small and not focused:
        run_small(args, wrk_path, targets, results)
    results["checks"] = verdicts(results)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["elapsed_seconds"] = round(time.monotonic() - started)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(TARGETS_TEXT)
    log(f"results written to {path.relative_to(ROOT)} in {results['elapsed_seconds']}s")


if __name__ == "__main__":
    main()
