"""Working with a CDN in front of the site: surrogate keys out, purges in.

Every public page carries a `Surrogate-Key` header naming what it shows, in the
vocabulary of `newsroom.invalidation` (`article-12`, `article-12-card`, `section-3`,
`front`, `all`, ...): the keys its view and fragments named while it was built, kept
with the page so a page-cache hit carries them too.

When `CDN_PURGE_URL` is set, `newsroom.invalidation.end()` hands the keys of each
change to `purge_after_commit()`: once the transaction commits they are POSTed to that
URL from a background thread, as JSON `{"surrogate_keys": [...]}` and as a
space-separated `Surrogate-Key` request header (the shape Fastly's purge API takes;
other CDNs need a small adapter at that URL). A failed purge is logged and never
blocks or fails the editor's or moderator's request; the page then ages out with its
`s-maxage`.

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

from .caching import fresh_for

logger = logging.getLogger(__name__)

_executor = None
_executor_lock = threading.Lock()
_pending = []


class SurrogateKeyMiddleware:
    """With CDN_MAX_AGE, lets the CDN keep public pages longer than browsers do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD") or "public" not in response.get(
            "Cache-Control", ""
        ):
            return response
        if settings.CDN_MAX_AGE > 0:
            # No longer than until the next scheduled story: nothing purges at that moment.
            seconds = fresh_for(request, settings.CDN_MAX_AGE)
            response["Surrogate-Control"] = f"max-age={seconds}"
            response["CDN-Cache-Control"] = f"max-age={seconds}"
        return response


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


def purge_after_commit(keys):
    """Purge these keys at the CDN once the current transaction commits (now, outside one)."""
    if settings.CDN_PURGE_URL and keys:
        keys = sorted(keys)
        transaction.on_commit(lambda: _submit(keys))


def wait_for_purges(timeout=10):
    """Block until the purges started so far are done and return their results (True for
    each purge the CDN accepted); for tests and management commands."""
    with _executor_lock:
        pending = list(_pending)
        _pending.clear()
    wait(pending, timeout=timeout)
    return [f.result() for f in pending if f.done()]
