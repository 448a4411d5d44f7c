"""A news day: readers while the desk works (issue 12).

Sixteen reader connections request a popularity-skewed list of pages (about 2,000 live
articles, the front, every section and 50 tags, weighted by Zipf's law with s = 1.1),
first alone, then while a moderator approves two comments a second and an editor saves
an edit every ten seconds, both through the admin over HTTP as real staff do. Printed:
reader req/s in both phases, their p99, and how long each approved comment took to show
on its (anonymous, cached) page.

Run it with `bench/run --newsday` (bench/README.md). The site runs as deployed: the page
cache and the fragment cache on.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

NEWSDAY_LUA = Path(__file__).resolve().parent / "newsday.lua"

ZIPF_S = 1.1
ARTICLES = 2000
TAGS = 50
APPROVALS_PER_SECOND = 2
EDIT_EVERY_SECONDS = 10
VISIBLE_WITHIN_SECONDS = 3

SETUP_SCRIPT = r"""
import json, random
from django.db.models import Count, Q
from django.urls import reverse
from articles.models import Article, Section
from comments.models import Comment
from taggit.models import Tag

random.seed(11)
live = Article.objects.live().order_by("-published_at", "-id")
articles = list(live.values_list("pk", "slug", "published_at")[:ARTICLES])
urls = {pk: Article(slug=slug, published_at=when).get_absolute_url() for pk, slug, when in articles}
sections = [
    reverse("articles:section", kwargs={"slug": slug})
    for slug in Section.objects.values_list("slug", flat=True)
]
tags = [
    reverse("articles:tag", kwargs={"slug": slug})
    for slug in Tag.objects.annotate(n=Count("articles_taggedarticle_items"))
    .order_by("-n").values_list("slug", flat=True)[:TAGS]
]
# Popularity: the front first, then the newest stories, with sections and tags among them.
pages = [reverse("articles:home")]
rest = [urls[pk] for pk, _, _ in articles]
for n, url in enumerate(sections + tags):
    rest.insert(min(len(rest), 3 + n * 7), url)
pages += rest
weights = [1 / (rank ** ZIPF_S) for rank in range(1, len(pages) + 1)]
# Comments go to popular stories with room on their first page of comments.
counts = dict(
    Comment.objects.filter(article_id__in=list(urls), status="approved", parent=None)
    .values_list("article_id").annotate(n=Count("id"))
)
open_ = [pk for pk, _, _ in articles if counts.get(pk, 0) < 40]
by_url = {url: pk for pk, url in urls.items()}
weight_of = {page: weight for page, weight in zip(pages, weights)}
chosen = random.choices(open_, weights=[weight_of[urls[pk]] for pk in open_], k=COMMENTS)
made = []
for n, pk in enumerate(chosen):
    marker = f"newsday-{RUN}-{n}"
    comment = Comment(article_id=pk, name="Day reader", email="day@example.org",
                      body=f"Seen from the quay {marker}", status="pending")
    comment.save()
    made.append({"id": comment.pk, "marker": marker, "url": urls[pk]})
edits = [pk for pk, _, _ in articles[:20]]
# On a real site every story was ranked when it was saved; generated ones were not.
try:
    from articles import related
except ImportError:  # code from before related stories were kept (--app-dir)
    related = None
if related is not None:
    unranked = Article.objects.filter(pk__in=list(urls), related_ids__isnull=True)
    for pk in unranked.values_list("pk", flat=True):
        related.refresh(pk)
print(json.dumps({"pages": pages, "weights": weights, "comments": made, "edits": edits}))
"""


class FormFields(HTMLParser):
    """A form's fields as a browser submits them: inputs (checked boxes only), the
    selected options of selects, textareas."""

    def __init__(self):
        super().__init__()
        self.fields = []
        self._select = None
        self._select_multiple = False
        self._select_chosen = []
        self._first_option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append([name, attrs.get("value", "on" if kind == "checkbox" else "")])
        elif tag == "select" and name:
            self._select, self._select_multiple = name, "multiple" in attrs
            self._select_chosen, self._first_option = [], None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                self._select_chosen.append(value)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
            self.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = self._select_chosen
            if not chosen and not self._select_multiple and self._first_option is not None:
                chosen = [self._first_option]
            self.fields.extend([self._select, value] for value in chosen)
            self._select = None


class Staff:
    """A signed-in admin session over HTTP, with its CSRF token."""

    def __init__(self, server, user, password):
        from http.cookiejar import CookieJar

        self.server = server
        self.jar = CookieJar()
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        login = server.url("/admin/login/")
        fields = dict(self.form(login))
        fields.update({"username": user, "password": password, "next": "/admin/"})
        self.post(login, fields)

    def form(self, url):
        with self.http.open(url, timeout=60) as response:
            parser = FormFields()
            parser.feed(response.read().decode())
        return parser.fields

    def post(self, url, fields):
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        with self.http.open(request, timeout=60) as response:
            return response.status, response.geturl()

    @property
    def csrf(self):
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")


def approve(staff, comment_id):
    url = staff.server.url("/admin/comments/comment/")
    return staff.post(
        url,
        {
            "csrfmiddlewaretoken": staff.csrf,
            "action": "approve",
            "_selected_action": str(comment_id),
            "index": "0",
        },
    )


def edit(staff, article_id, number):
    url = staff.server.url(f"/admin/articles/article/{article_id}/change/")
    fields = staff.form(url)
    changed = []
    for name, value in fields:
        if name == "standfirst":
            value = f"{value.split(' [edit ')[0]} [edit {number}]"
        changed.append((name, value))
    changed.append(("_save", "Save"))
    _status, landed = staff.post(url, changed)
    return landed.rstrip("/").endswith("/admin/articles/article")


def visible_within(server, url, marker, deadline):
    """Seconds until `marker` shows on `url` for an anonymous reader, or None."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        with urllib.request.urlopen(server.url(url), timeout=30) as response:
            if marker.encode() in response.read():
                return time.monotonic() - started
        time.sleep(0.05)
    return None


class Desk(threading.Thread):
    """The moderator and the editor at work until `stop` is set."""

    def __init__(self, server, user, password, comments, edits):
        super().__init__(daemon=True)
        self.moderator = Staff(server, user, password)
        self.editor = Staff(server, user, password)
        self.server = server
        self.comments = list(comments)
        self.edits = list(edits)
        self.stop = threading.Event()
        self.delays, self.unseen, self.failed_edits, self.saved_edits = [], 0, 0, 0
        self._watchers = []

    def run(self):
        started = time.monotonic()
        next_edit = started + EDIT_EVERY_SECONDS / 2
        approved = 0
        while not self.stop.is_set() and self.comments:
            due = started + approved / APPROVALS_PER_SECOND
            time.sleep(max(0, due - time.monotonic()))
            comment = self.comments.pop(0)
            approve(self.moderator, comment["id"])
            approved += 1
            watcher = threading.Thread(target=self.watch, args=(comment,), daemon=True)
            watcher.start()
            self._watchers.append(watcher)
            if time.monotonic() >= next_edit:
                next_edit += EDIT_EVERY_SECONDS
                threading.Thread(target=self.edit_one, daemon=True).start()
        for watcher in self._watchers:
            watcher.join(timeout=VISIBLE_WITHIN_SECONDS * 10)

    def watch(self, comment):
        delay = visible_within(self.server, comment["url"], comment["marker"], 30)
        if delay is None:
            self.unseen += 1
        else:
            self.delays.append(delay)

    def edit_one(self):
        article = self.edits[self.saved_edits % len(self.edits)]
        if edit(self.editor, article, self.saved_edits + self.failed_edits):
            self.saved_edits += 1
        else:
            self.failed_edits += 1


def write_pages(pages, weights):
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - read by wrk, removed by the caller
        "w", suffix=".txt", prefix="newsday-", delete=False
    )
    with handle:
        for page, weight in zip(pages, weights, strict=True):
            handle.write(f"{weight:.10f} {page}\n")
    return Path(handle.name)


def run(args, wrk_path, server, manage_shell, user, password, wrk):
    """Both phases against a running `server`; returns the figures."""
    seconds = args.newsday_seconds
    comments = int(seconds * APPROVALS_PER_SECOND * 1.5) + 10
    script = (
        SETUP_SCRIPT.replace("ARTICLES", str(ARTICLES))
        .replace("TAGS", str(TAGS))
        .replace("ZIPF_S", str(ZIPF_S))
        .replace("COMMENTS", str(comments))
        .replace("RUN", repr(str(int(time.time()))))
    )
    plan = json.loads(manage_shell(script).strip().splitlines()[-1])
    pages = write_pages(plan["pages"], plan["weights"])
    env = {"BENCH_PAGES_FILE": str(pages)}
    try:
        url = server.url("/")
        wrk(wrk_path, url, 16, min(seconds, 10), NEWSDAY_LUA, env=env)  # warm the caches
        alone = wrk(wrk_path, url, 16, seconds, NEWSDAY_LUA, env=env)
        desk = Desk(server, user, password, plan["comments"], plan["edits"])
        desk.start()
        busy = wrk(wrk_path, url, 16, seconds, NEWSDAY_LUA, env=env)
        desk.stop.set()
        desk.join(timeout=120)
    finally:
        pages.unlink(missing_ok=True)
    delays = sorted(desk.delays)
    return {
        "pages": len(plan["pages"]),
        "seconds": seconds,
        "alone_rps": alone["rps"],
        "alone_p99_ms": alone["p99_us"] / 1000,
        "busy_rps": busy["rps"],
        "busy_p99_ms": busy["p99_us"] / 1000,
        "ratio": busy["rps"] / alone["rps"] if alone["rps"] else 0.0,
        "non_2xx": alone["errors_status"] + busy["errors_status"],
        "approved": len(delays) + desk.unseen,
        "unseen": desk.unseen,
        "visible_p50_s": statistics.median(delays) if delays else None,
        "visible_max_s": delays[-1] if delays else None,
        "edits_saved": desk.saved_edits,
        "edits_failed": desk.failed_edits,
    }


def report(figures):
    print()
    print(f"A news day ({figures['pages']:,} pages, Zipf s={ZIPF_S}, {figures['seconds']} s each):")
    alone, busy = figures["alone_rps"], figures["busy_rps"]
    print(f"  readers alone:        {alone:8.0f} req/s   p99 {figures['alone_p99_ms']:.1f} ms")
    print(
        f"  readers with writers: {busy:8.0f} req/s   p99 {figures['busy_p99_ms']:.1f} ms"
        f"   ({figures['ratio']:.2f} x alone; target >= 0.7)"
    )
    print(
        f"  comments approved: {figures['approved']}, visible on their page: "
        f"p50 {figures['visible_p50_s'] or 0:.2f} s, max {figures['visible_max_s'] or 0:.2f} s, "
        f"never: {figures['unseen']} (target: all within {VISIBLE_WITHIN_SECONDS} s)"
    )
    print(f"  edits saved: {figures['edits_saved']}, refused: {figures['edits_failed']}")


def checks(figures):
    return [
        ("news day: readers with writers >= 0.7 x alone", figures["ratio"], 0.7, ">="),
        (
            f"news day: every approved comment visible within {VISIBLE_WITHIN_SECONDS} s",
            figures["visible_max_s"] if not figures["unseen"] else float("inf"),
            VISIBLE_WITHIN_SECONDS,
            "<=",
        ),
    ]
