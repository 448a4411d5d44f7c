"""Working with a CDN in front of the site: surrogate keys out, purges in.

Every public page (a response marked `Cache-Control: public`) carries a
`Surrogate-Key` header naming what it shows, taken from its URL so that a page-cache
hit costs no query:

    article-<slug>   an article page
    section-<slug>   a section page and its feeds
    tag-<slug>       a tag page and its feeds
    author-<slug>    an author page and its feeds
    front            every other public page (home, latest feeds, search, sitemaps)
    all              every public page

When `CDN_PURGE_URL` is set, `newsroom.caching.content_changed()` calls
`purge_after_commit()`: once the transaction commits, the keys of what changed are
POSTed to that URL from a background thread, as JSON `{"surrogate_keys": [...]}` and
as a space-separated `Surrogate-Key` request header (the shape Fastly's purge API
takes; other CDNs need a small adapter at that URL). A failed purge is logged and
never blocks or fails the editor's or moderator's request; the page then ages out
with its `s-maxage`.

`CDN_MAX_AGE` (seconds) additionally sends `Surrogate-Control` and `CDN-Cache-Control`
so the CDN may keep pages longer than browsers, which is safe once purging works.
"""

import json
import logging
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.db import transaction
from django.urls import Resolver404, resolve

from .caching import fresh_for

logger = logging.getLogger(__name__)

# URL name → key prefix for pages about one thing; the URL's `slug` names it.
KEYED_URLS = {
    "articles:detail": "article",
    "articles:section": "section",
    "articles:tag": "tag",
    "articles:author": "author",
}
FEED_PREFIXES = {"section": "section", "tag": "tag", "author": "author"}

_executor = None
_executor_lock = threading.Lock()
_pending = []


def surrogate_keys_for(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return ["all", "front"]
    slug = match.kwargs.get("slug")
    prefix = KEYED_URLS.get(match.view_name)
    if prefix is None and slug and "feed" in match.view_name:
        prefix = next((p for name, p in FEED_PREFIXES.items() if name in match.view_name), None)
    if prefix and slug:
        return ["all", f"{prefix}-{slug}"]
    return ["all", "front"]


class SurrogateKeyMiddleware:
    """Adds Surrogate-Key (and, with CDN_MAX_AGE, CDN cache lifetimes) to public pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD") or "public" not in response.get(
            "Cache-Control", ""
        ):
            return response
        if not response.has_header("Surrogate-Key"):
            response["Surrogate-Key"] = " ".join(surrogate_keys_for(request))
        if settings.CDN_MAX_AGE > 0:
            # No longer than until the next scheduled story: nothing purges at that moment.
            seconds = fresh_for(request, settings.CDN_MAX_AGE)
            response["Surrogate-Control"] = f"max-age={seconds}"
            response["CDN-Cache-Control"] = f"max-age={seconds}"
        return response


def purge_keys(*, article_ids=(), section_ids=(), tag_slugs=()):
    """The surrogate keys to purge after a change to these articles, sections and tags."""
    from articles.models import Article, Section

    if not (article_ids or section_ids or tag_slugs):
        return ["all"]
    keys = [
        f"article-{slug}"
        for slug in Article.objects.filter(pk__in=list(article_ids)).values_list("slug", flat=True)
    ]
    sections = list(Section.objects.filter(pk__in=list(section_ids)).values_list("slug", flat=True))
    keys += [f"section-{slug}" for slug in sections]
    keys += [f"tag-{slug}" for slug in tag_slugs]
    if sections or tag_slugs:
        # A change that moves lists (publish, withdraw, a headline) also moves the front.
        keys.append("front")
    return sorted(set(keys))


def send_purge(keys):
    """POST the keys to CDN_PURGE_URL. Returns True on a 2xx answer; logs and returns
    False on anything else, never raises."""
    url = settings.CDN_PURGE_URL
    if not url or not keys:
        return False
    headers = {"Content-Type": "application/json", "Surrogate-Key": " ".join(keys)}
    if settings.CDN_PURGE_TOKEN:
        headers["Authorization"] = f"Bearer {settings.CDN_PURGE_TOKEN}"
        headers["Fastly-Key"] = settings.CDN_PURGE_TOKEN
    body = json.dumps({"surrogate_keys": keys}).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.CDN_PURGE_TIMEOUT) as response:  # noqa: S310
            if 200 <= response.status < 300:
                return True
            logger.warning("CDN purge of %s answered %s", keys, response.status)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.warning("CDN purge of %s failed: %s", keys, exc)
    return False


def _submit(keys):
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cdn-purge")
        _pending[:] = [f for f in _pending if not f.done()]
        _pending.append(_executor.submit(send_purge, keys))


def purge_after_commit(*, article_ids=(), section_ids=(), tag_slugs=()):
    """Purge these keys at the CDN once the current transaction commits (now, outside one)."""
    if not settings.CDN_PURGE_URL:
        return
    try:
        keys = purge_keys(article_ids=article_ids, section_ids=section_ids, tag_slugs=tag_slugs)
    except Exception:  # a purge must never break the change that asked for it
        logger.exception("could not work out CDN purge keys")
        return
    transaction.on_commit(lambda: _submit(keys))


def wait_for_purges(timeout=10):
    """Block until the purges started so far are done and return their results (True for
    each purge the CDN accepted); for tests and management commands."""
    with _executor_lock:
        pending = list(_pending)
        _pending.clear()
    wait(pending, timeout=timeout)
    return [f.result() for f in pending if f.done()]
