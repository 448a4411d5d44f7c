"""Working with a CDN in front of the site: surrogate keys out, purges in.

Every public page carries a `Surrogate-Key` header naming what it shows, in the
vocabulary of `newsroom.invalidation` (`article-12`, `article-12-card`, `section-3`,
`front`, `all`, ...): the keys its view and fragments named while it was built, kept
with the page so a page-cache hit carries them too.

When `CDN_PURGE_URL` is set, `newsroom.invalidation.end()` hands the keys of each
change to `purge_after_commit()`: a background task (newsroom/tasks.py) POSTs them to
that URL once the transaction commits, as JSON `{"surrogate_keys": [...]}` and as a
space-separated `Surrogate-Key` request header (the shape Fastly's purge API takes;
other CDNs need a small adapter at that URL). The editor's or moderator's request never
waits for the CDN; a purge the CDN refuses is logged and tried again with back-off, and
meanwhile the page ages out with its `s-maxage`.

`CDN_MAX_AGE` (seconds) additionally sends `Surrogate-Control` and `CDN-Cache-Control`
so the CDN may keep pages longer than browsers, which is safe once purging works.
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings

from .caching import fresh_for
from .tasks import background, enqueue_after_commit

logger = logging.getLogger(__name__)


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


class PurgeFailed(Exception):
    pass


@background
def purge(keys):
    """The purge as a background task: tried again later (with back-off) when the CDN
    does not accept it."""
    if not send_purge(keys):
        raise PurgeFailed(f"the CDN did not accept the purge of {' '.join(keys)}")


def purge_after_commit(keys):
    """Purge these keys at the CDN once the current transaction commits, from a worker:
    never in the editor's or moderator's request, never for a change rolled back."""
    if settings.CDN_PURGE_URL and keys:
        enqueue_after_commit(purge, sorted(keys))
