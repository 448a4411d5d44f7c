"""A live article on election night (issue 15, "Performance").

A live article with 500 published updates; an editor posts an update every ten seconds
through the admin over HTTP (the "post an update" form on the article's change page, as
the desk does). Measured with the site as deployed (page cache and fragments on): the
ceiling, then sixteen connections polling the updates endpoint with `?since=<the newest
update at the start>` while the editor posts, then sixteen connections on the live page
itself while the editor posts. A reader's page (a thread polling anonymously with
`?since=`, every POLL_EVERY_SECONDS, moving `since` on as a browser does) times how long
each posted update takes to reach it, from the moment the editor sends the form.

Run it with `bench/run --live` (bench/README.md). The article and its updates are made
afresh at the start and deleted at the end.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request

from newsday import Staff

UPDATES = 500
POST_EVERY_SECONDS = 10
POLL_EVERY_SECONDS = 0.2
VISIBLE_WITHIN_SECONDS = 2
SHARE_OF_CEILING = 0.9
SLUG = "bench-live-election-night"

SETUP_SCRIPT = r"""
import datetime, json
from django.urls import reverse
from django.utils import timezone
from articles.body import render_body
from articles.live import LiveCoverage
from articles.models import Article, Byline, LiveUpdate

Article.objects.filter(slug=SLUG).delete()
model = Article.objects.live().filter(bylines__isnull=False).order_by("-published_at").first()
now = timezone.now()
article = Article.objects.create(
    kind=Article.Kind.LIVE, headline="Election night, live", slug=SLUG,
    section=model.section, standfirst="Results as they come in, ward by ward.",
    body=model.body, status=Article.Status.PUBLISHED,
    published_at=now - datetime.timedelta(hours=UPDATES // 60 + 2),
)
authors = list(model.bylines.values_list("author_id", flat=True))
Byline.objects.bulk_create(
    Byline(article=article, author_id=author, position=n) for n, author in enumerate(authors)
)
# In bulk, each made as a save makes it: the body sanitised, body_html and body_media
# rendered by the model's own code (LiveUpdate.save).
updates = []
for n in range(UPDATES):
    update = LiveUpdate(
        article=article, title=f"Ward {n + 1} declares" if n % 3 == 0 else "",
        author_id=authors[n % len(authors)] if authors else None,
        status=LiveUpdate.Status.PUBLISHED, key_event=n % 50 == 0,
        published_at=article.published_at + datetime.timedelta(minutes=1 + n),
        created_at=article.published_at + datetime.timedelta(minutes=n),
    )
    update.set_body(
        f"<p>Turnout in ward {n + 1} was <strong>{40 + n % 30}%</strong>, "
        f"up {n % 7} points on the last election. The count went on past midnight.</p>"
        f"<p>Our reporter at the count says the result is <em>closer than expected</em>; "
        f"<a href=\"https://example.org/results/{n + 1}\">the official figures</a>.</p>"
    )
    rendered = render_body(update.body)
    update.body_html, update.body_media = rendered.html, rendered.media
    update.updated_at = update.published_at
    updates.append(update)
LiveUpdate.objects.bulk_create(updates, batch_size=100)
newest = LiveUpdate.objects.filter(article=article).order_by("-published_at", "-id").first()
coverage = LiveCoverage(article, None)
print(json.dumps({
    "article": article.pk,
    "page": article.get_absolute_url(),
    "updates": coverage.updates_url,
    "since": newest.pk,
    "change": reverse("admin:articles_article_change", args=[article.pk]),
    "post": reverse("admin:articles_article_live_post", args=[article.pk]),
    "count": LiveUpdate.objects.filter(article=article, body_html__contains="<strong>").count(),
}))
"""

CLEANUP_SCRIPT = """
from articles.models import Article
print(Article.objects.filter(slug=SLUG).delete()[0])
"""


class Reader(threading.Thread):
    """A reader's open page: polls the updates endpoint anonymously with `?since=`,
    moving on to the newest id it got, and notes when each awaited marker arrives."""

    def __init__(self, server, updates_url, since):
        super().__init__(daemon=True)
        self.server, self.updates_url, self.since = server, updates_url, since
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.awaited = {}  # marker -> monotonic time the editor sent it
        self.delays, self.polls, self.errors = {}, 0, 0

    def expect(self, marker, sent):
        with self.lock:
            self.awaited[marker] = sent

    def run(self):
        while not self.stop.is_set():
            url = self.server.url(f"{self.updates_url}?since={self.since}")
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    data = json.loads(response.read())
            except (OSError, ValueError):
                self.errors += 1
            else:
                self.polls += 1
                arrived = time.monotonic()
                if data["count"]:
                    with self.lock:
                        for marker, sent in list(self.awaited.items()):
                            if marker in data["html"]:
                                self.delays[marker] = arrived - sent
                                del self.awaited[marker]
                    self.since = data["latest"]
            self.stop.wait(POLL_EVERY_SECONDS)

    def forget(self, marker):
        with self.lock:
            self.awaited.pop(marker, None)

    def waiting(self):
        with self.lock:
            return len(self.awaited)


class Editor(threading.Thread):
    """An editor at the desk: posts and publishes an update every POST_EVERY_SECONDS
    (the first after half that) through the live article's "post an update" form."""

    def __init__(self, server, user, password, plan, reader, run_mark):
        super().__init__(daemon=True)
        self.staff = Staff(server, user, password)
        self.server, self.plan, self.reader, self.run_mark = server, plan, reader, run_mark
        # The desk form as the change page serves it: its `live-` fields and the token.
        self.fields = [
            (name, value)
            for name, value in self.staff.form(server.url(plan["change"]))
            if name.startswith("live-") or name == "csrfmiddlewaretoken"
        ]
        if not any(name == "live-body" for name, _ in self.fields):
            raise RuntimeError("live: no 'post an update' form on the live article's page")
        self.stop = threading.Event()
        self.posted, self.refused, self.post_ms = [], 0, []

    def run(self):
        started = time.monotonic()
        number = 0
        while True:
            due = started + POST_EVERY_SECONDS / 2 + number * POST_EVERY_SECONDS
            if self.stop.wait(max(0, due - time.monotonic())):
                return
            marker = f"[bench-live {self.run_mark} {len(self.posted) + self.refused}]"
            fields = [
                (name, value)
                for name, value in self.fields
                if name not in ("live-title", "live-body")
            ]
            fields += [
                ("live-title", f"Count update {marker}"),
                (
                    "live-body",
                    f"<p>Another ward declares {marker}: <strong>turnout up</strong>.</p>",
                ),
                ("_publish", "1"),
            ]
            sent = time.monotonic()
            self.reader.expect(marker, sent)
            _status, landed = self.staff.post(self.server.url(self.plan["post"]), fields)
            self.post_ms.append((time.monotonic() - sent) * 1000)
            if "/live/post/" in landed:  # the change page again, with form errors
                self.refused += 1
                self.reader.forget(marker)
            else:
                self.posted.append(marker)
            number += 1


def phase(args, wrk_path, server, wrk, plan, url, user, password, run_mark):
    """wrk with 16 connections on `url` for --live-seconds while the editor posts and a
    reader's page polls; returns wrk's stats, the reader and the editor."""
    reader = Reader(server, plan["updates"], plan["since"])
    editor = Editor(server, user, password, plan, reader, run_mark)
    reader.start()
    editor.start()
    try:
        stats = wrk(wrk_path, url, 16, args.live_seconds)
    finally:
        editor.stop.set()
        editor.join(timeout=120)
        deadline = time.monotonic() + VISIBLE_WITHIN_SECONDS * 5
        while reader.waiting() and time.monotonic() < deadline:
            time.sleep(POLL_EVERY_SECONDS)
        reader.stop.set()
        reader.join(timeout=60)
    # The next phase polls from the newest update again.
    plan["since"] = reader.since
    return stats, reader, editor


def run(args, wrk_path, server, manage_shell, user, password, wrk, get):
    """The ceiling, the polling and the page against a running `server`; the figures."""
    plan = json.loads(
        manage_shell(SETUP_SCRIPT.replace("SLUG", repr(SLUG)).replace("UPDATES", str(UPDATES)))
        .strip()
        .splitlines()[-1]
    )
    if plan["count"] != UPDATES:
        raise RuntimeError(f"live: {plan['count']} of {UPDATES} updates rendered")
    try:
        return measure(args, wrk_path, server, wrk, get, plan, user, password)
    finally:
        manage_shell(CLEANUP_SCRIPT.replace("SLUG", repr(SLUG)))


def measure(args, wrk_path, server, wrk, get, plan, user, password):
    ceiling_url = server.url("/bench/noop/")
    poll_url = server.url(f"{plan['updates']}?since={plan['since']}")
    page_url = server.url(plan["page"])
    for url in (ceiling_url, poll_url, page_url):
        for _ in range(3):  # warm: templates, connections, the page cache
            status, _body = get(url)
            if status != 200:
                raise RuntimeError(f"live: {url} answered {status}")
    seconds = max(args.seconds, min(args.live_seconds, 10))
    ceiling = wrk(wrk_path, ceiling_url, 16, seconds)
    # For reading the figures (not a target): the same two with no editor at work.
    quiet_polling = wrk(wrk_path, poll_url, 16, seconds)
    quiet_page = wrk(wrk_path, page_url, 16, seconds)
    run_mark = str(int(time.time()))
    polling, poll_reader, poll_editor = phase(
        args, wrk_path, server, wrk, plan, poll_url, user, password, run_mark + "p"
    )
    page, page_reader, page_editor = phase(
        args, wrk_path, server, wrk, plan, page_url, user, password, run_mark + "r"
    )
    # The ceiling again, after: the share is taken of the two's mean, so a machine whose
    # load changed during the run does not tilt the ratios one way.
    ceiling_after = wrk(wrk_path, ceiling_url, 16, seconds)
    delays = sorted([*poll_reader.delays.values(), *page_reader.delays.values()])
    unseen = poll_reader.waiting() + page_reader.waiting()
    post_ms = sorted(poll_editor.post_ms + page_editor.post_ms)
    ceiling_rps = (ceiling["rps"] + ceiling_after["rps"]) / 2
    return {
        "updates": UPDATES,
        "seconds": args.live_seconds,
        "ceiling_rps": ceiling_rps,
        "ceiling_before_after_rps": [ceiling["rps"], ceiling_after["rps"]],
        "polling_rps": polling["rps"],
        "polling_p99_ms": polling["p99_us"] / 1000,
        "polling_ratio": polling["rps"] / ceiling_rps if ceiling_rps else 0.0,
        "polling_quiet_rps": quiet_polling["rps"],
        "polling_quiet_ratio": quiet_polling["rps"] / ceiling_rps if ceiling_rps else 0.0,
        "page_rps": page["rps"],
        "page_p99_ms": page["p99_us"] / 1000,
        "page_ratio": page["rps"] / ceiling_rps if ceiling_rps else 0.0,
        "page_quiet_rps": quiet_page["rps"],
        "page_quiet_ratio": quiet_page["rps"] / ceiling_rps if ceiling_rps else 0.0,
        "non_2xx": sum(
            stats["errors_status"]
            for stats in (ceiling, ceiling_after, quiet_polling, quiet_page, polling, page)
        ),
        "posted": len(poll_editor.posted) + len(page_editor.posted),
        "refused": poll_editor.refused + page_editor.refused,
        "post_p50_ms": statistics.median(post_ms) if post_ms else None,
        "seen": len(delays),
        "unseen": unseen,
        "visible_p50_s": statistics.median(delays) if delays else None,
        "visible_max_s": delays[-1] if delays else None,
        "reader_polls": poll_reader.polls + page_reader.polls,
        "reader_errors": poll_reader.errors + page_reader.errors,
        "urls": {"page": plan["page"], "updates": plan["updates"]},
    }


def report(figures):
    print()
    print(
        f"A live article ({figures['updates']} updates; an editor posting through the admin "
        f"every {POST_EVERY_SECONDS} s; {figures['seconds']} s each):"
    )
    before, after = figures["ceiling_before_after_rps"]
    print(
        f"  ceiling:                     {figures['ceiling_rps']:8.0f} req/s   "
        f"(mean of {before:.0f} before and {after:.0f} after)"
    )
    print(
        f"  with no editor: polling {figures['polling_quiet_rps']:.0f} req/s "
        f"({figures['polling_quiet_ratio']:.2f} x), the page {figures['page_quiet_rps']:.0f} "
        f"req/s ({figures['page_quiet_ratio']:.2f} x)"
    )
    print(
        f"  16 polling ?since=:          {figures['polling_rps']:8.0f} req/s   "
        f"p99 {figures['polling_p99_ms']:.1f} ms   ({figures['polling_ratio']:.2f} x ceiling; "
        f"target >= {SHARE_OF_CEILING})"
    )
    print(
        f"  16 on the live page:         {figures['page_rps']:8.0f} req/s   "
        f"p99 {figures['page_p99_ms']:.1f} ms   ({figures['page_ratio']:.2f} x ceiling; "
        f"target >= {SHARE_OF_CEILING})"
    )
    print(
        f"  updates posted: {figures['posted']} (refused: {figures['refused']}, post p50 "
        f"{figures['post_p50_ms'] or 0:.0f} ms), seen by a polling reader: p50 "
        f"{figures['visible_p50_s'] or 0:.2f} s, max {figures['visible_max_s'] or 0:.2f} s, "
        f"never: {figures['unseen']} (target: all within {VISIBLE_WITHIN_SECONDS} s)"
    )


def checks(figures):
    every = figures["visible_max_s"]
    if figures["unseen"] or figures["refused"] or not figures["posted"]:
        every = float("inf")
    return [
        (
            f"live: 16 polling ?since= >= {SHARE_OF_CEILING} x ceiling",
            figures["polling_ratio"],
            SHARE_OF_CEILING,
            ">=",
        ),
        (
            f"live: the live page >= {SHARE_OF_CEILING} x ceiling",
            figures["page_ratio"],
            SHARE_OF_CEILING,
            ">=",
        ),
        (
            f"live: every update seen by a poller within {VISIBLE_WITHIN_SECONDS} s",
            every,
            VISIBLE_WITHIN_SECONDS,
            "<=",
        ),
    ]
