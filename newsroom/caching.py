"""The public page cache and its invalidation.

Anonymous readers get pages any cache may keep (DESIGN.md, "Caching"): no
Set-Cookie, no `Vary: Cookie`, `Cache-Control: public` with `max-age` and
`s-maxage`, an ETag, and 304 for a matching `If-None-Match`. Rendered pages are
kept in Django's cache (Redis when REDIS_URL is set, so every app process shares
them) together with the site-wide version number they were rendered under.

Every change a reader could see (publish, edit, withdraw, correction, comment
approval) calls `content_changed()`, which bumps the version: an entry of an older
version is a miss, and the next request anywhere renders afresh. A scheduled story
goes live by the clock, with no change to announce it, so no entry is kept past the
moment the next one is due (`next_publish()`).

With the page cache off (and for signed-in staff, who never get cached pages), views
still keep the expensive parts of their pages in the same cache, under the same
version and expiry rules: `cached_fragment()` and the `{% fragment %}` template tag.

`PageCacheMiddleware` (early in settings.MIDDLEWARE, before sessions and auth)
answers hits for requests without a session cookie: one cache round trip
(`get_many` of the version and the page), no database, no session. It stores what
the views wrapped in `public_page` rendered, with the headers the middleware inside
it added, so a hit carries the same headers as a miss; the middleware outside it
(security headers, CSP, surrogate keys) runs on hits too.
"""

import collections
import functools
import hashlib
import sys
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

SITE_VERSION_KEY = "newsroom:site-version"
PAGE_KEY_PREFIX = "newsroom:page"
FRAGMENT_KEY_PREFIX = "newsroom:fragment"
NEXT_PUBLISH_KEY = "newsroom:next-publish"


def _now():
    return time.time()


def _first_version():
    # A version starts from the clock (microseconds), not from 1: when the cache is
    # emptied or Redis restarts, the new versions are above any version an entry
    # still held in a process's memory was rendered under.
    return time.time_ns() // 1000


def site_version():
    version = cache.get(SITE_VERSION_KEY)
    if version is None:
        cache.add(SITE_VERSION_KEY, _first_version(), timeout=None)
        version = cache.get(SITE_VERSION_KEY) or _first_version()
    return version


def _bump_version():
    try:
        cache.incr(SITE_VERSION_KEY)
    except ValueError:
        cache.add(SITE_VERSION_KEY, _first_version(), timeout=None)


def content_changed(*, article_ids=(), section_ids=(), tag_slugs=()):
    """Invalidate cached public pages after a change. The arguments name what changed,
    for finer-grained purging (CDN surrogate keys); every page is invalidated.

    The version is bumped now and again once the transaction commits: a reader who
    renders between the two still sees the old rows, and would otherwise keep them
    in the cache under the new version."""
    _bump_version()
    transaction.on_commit(_bump_version)
    from . import cdn  # the CDN purge hook (newsroom/cdn.py); a no-op unless configured

    cdn.purge_after_commit(article_ids=article_ids, section_ids=section_ids, tag_slugs=tag_slugs)


def is_anonymous(request):
    # Without a session cookie nobody is signed in; looking no further keeps the
    # session untouched, so no `Vary: Cookie` and no query.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True
    return not request.user.is_authenticated


def page_key(request):
    url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(url.encode()).hexdigest()
    return f"{PAGE_KEY_PREFIX}:{digest}"


def cached_page(key):
    """(current site version, the cached response or None) in one cache round trip."""
    found = cache.get_many([SITE_VERSION_KEY, key])
    version = found.get(SITE_VERSION_KEY)
    if version is None:
        return site_version(), None
    entry = found.get(key)
    if entry is None or entry[0] != version or entry[1] <= _now():
        return version, None
    return version, _from_cache(entry[2:])


def _cacheable_request(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.PAGE_CACHE_SECONDS > 0
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _conditional(request, response):
    if response.status_code == 200:
        return get_conditional_response(request, etag=response.get("ETag"), response=response)
    return response


class PageCacheMiddleware:
    """Answers anonymous GET/HEAD requests from the page cache before sessions, auth and
    the view run, and stores the pages `public_page` marked as public."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            return self.get_response(request)
        key = page_key(request)
        version, hit = cached_page(key)
        request._page_cache_version = version
        if hit is not None:
            return _conditional(request, _public_headers(request, hit, only_if_sooner=True))
        response = self.get_response(request)
        if (
            getattr(response, "_public_page", False)
            and response.status_code in (200, 404, 410)
            and not response.streaming
            and not response.cookies
            and "cookie" not in response.get("Vary", "").lower()
        ):
            headers = {name: value for name, value in response.items() if name != "Set-Cookie"}
            expires, keep = _lifetime(version, settings.PAGE_CACHE_SECONDS)
            entry = (version, expires, response.status_code, response.content, headers)
            cache.set(key, entry, keep)
        return _conditional(request, response)


def _public_headers(request, response, only_if_sooner=False):
    """Cache-Control for a public page: shared caches keep it PAGE_CACHE_SECONDS, browsers
    at most PAGE_BROWSER_SECONDS, and neither past the next scheduled story. A page
    served from the page cache keeps its stored header unless that moment is sooner."""
    seconds = fresh_for(request, settings.PAGE_CACHE_SECONDS)
    if only_if_sooner and seconds >= settings.PAGE_CACHE_SECONDS:
        return response
    patch_cache_control(
        response,
        public=True,
        max_age=min(seconds, settings.PAGE_BROWSER_SECONDS),
        s_maxage=seconds,
    )
    return response


def _etag(content):
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def _from_cache(entry):
    status, content, headers = entry
    response = HttpResponse(content, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def public_page(view):
    """Mark a view's anonymous GET/HEAD responses as public pages for the page cache.

    Signed-in staff get the page fresh and marked private. Responses that set a cookie
    or are not 200/404/410 are never stored. `PageCacheMiddleware` stores the page and
    answers hits; an anonymous reader who carries a session cookie (which the middleware
    cannot look into) is answered from the cache here, after the session middleware."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or not is_anonymous(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response

        # The middleware stores the pages of requests without a session cookie.
        stored_by_middleware = _cacheable_request(request)
        if not stored_by_middleware and settings.PAGE_CACHE_SECONDS > 0:
            hit = cached_page(page_key(request))[1]
            if hit is not None:
                return _conditional(request, _public_headers(request, hit, only_if_sooner=True))
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code not in (200, 404, 410) or response.cookies:
            return response
        if response.status_code == 200 and not response.has_header("ETag"):
            response["ETag"] = _etag(response.content)
        _public_headers(request, response)
        response._public_page = True
        if stored_by_middleware:
            # The middleware answers If-None-Match once it has stored the whole page.
            return response
        return _conditional(request, response)

    return wrapper


class _LocalFragments:
    """The fragments this process served last, in memory, checked against the shared
    site version like any entry: a page's fragments cost one cache round trip (the
    version) instead of one each. Bounded by size (FRAGMENT_LOCAL_MB, the least
    recently used out first), so a worker's memory does not grow with the archive.
    It also remembers when the next scheduled story is due, per site version."""

    # What an entry that is not a string (an article's keys, a section) is counted as.
    OBJECT_BYTES = 2048

    def __init__(self):
        self._entries = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.next_publish = None  # (site version, Unix time or None)

    @property
    def size(self):
        return self._bytes

    def get(self, key):
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key, entry):
        value = entry[2]
        size = sys.getsizeof(value) if isinstance(value, str) else self.OBJECT_BYTES
        limit = settings.FRAGMENT_LOCAL_MB * 1024 * 1024
        if size > limit // 8:
            return  # one huge fragment would push out everything else
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (entry, size)
            self._bytes += size
            while self._bytes > limit:
                _key, (_entry, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.next_publish = None


local_fragments = _LocalFragments()


def next_publish(version):
    """When the next scheduled article goes live (a Unix time), or None.

    A scheduled article turns live by the clock, with no save and so no
    `content_changed()`: whatever is cached must not outlive that moment. Read
    once per site version (scheduling, rescheduling and unscheduling all bump it)
    and again once the moment has passed: by this process from its memory, from the
    shared cache, or from the database by the first process to need it."""
    now = _now()

    def fresh(entry):
        return entry is not None and entry[0] == version and (entry[1] is None or entry[1] > now)

    if fresh(local_fragments.next_publish):
        return local_fragments.next_publish[1]
    entry = cache.get(NEXT_PUBLISH_KEY)
    if fresh(entry):
        local_fragments.next_publish = entry
        return entry[1]
    from articles.models import Article

    when = Article.objects.next_visibility_change()
    moment = when.timestamp() if when else None
    cache.set(NEXT_PUBLISH_KEY, (version, moment), None)
    local_fragments.next_publish = (version, moment)
    return moment


def _known_version(request):
    """The site version this request has already read (by the page cache or a fragment)."""
    return getattr(request, "_fragment_version", None) or getattr(
        request, "_page_cache_version", None
    )


def request_version(request):
    """The site version this request works under: read once, then kept on the request."""
    version = _known_version(request)
    if version is None:
        version = site_version()
        if request is not None:
            request._fragment_version = version
    return version


def fresh_for(request, seconds):
    """`seconds`, or fewer when the next scheduled story is due sooner: how long a shared
    cache (the page cache, a CDN) may keep a page rendered or served now."""
    if seconds <= 0:
        return seconds
    moment = next_publish(request_version(request))
    if moment is None:
        return seconds
    return max(0, min(seconds, int(moment - _now())))


def _lifetime(version, seconds, until=None):
    """(expiry time, seconds to keep) for an entry rendered now under `version`: no later
    than the next scheduled story, nor than `until` (a datetime) when that is to come."""
    now = _now()
    expires = now + seconds
    moment = next_publish(version)
    if moment is not None:
        expires = min(expires, moment)
    if until is not None and until.timestamp() > now:
        expires = min(expires, until.timestamp())
    return expires, max(1, int(expires - now + 1))


def fragment_key(name, parts):
    digest = hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()
    return f"{FRAGMENT_KEY_PREFIX}:{name}:{digest}"


def _fresh(entry, version):
    return entry is not None and entry[0] == version and entry[1] > _now()


def cached_fragment(name, parts, render, request=None, until=None):
    """What `render()` returns (HTML, or a small object a page is built on: the keys of
    an article, a section), kept in the shared cache under `name` and `parts`.

    The page cache keeps whole pages; fragments keep the expensive parts of a page
    (a rendered story, a comment thread, a list of cards) for the views that still
    run, with the page cache off or on a page-cache miss. An entry holds the site
    version it was rendered under and when it expires, so `content_changed()` and a
    scheduled story going live end it as they end cached pages. The version is read
    once per request (every fragment of a page is of one version), and entries are
    kept in this process too (`local_fragments`), so a page of several fragments
    costs one cache round trip. `until` (a datetime) ends the entry sooner, for what
    changes by the clock (comments closing). FRAGMENT_CACHE_SECONDS = 0 turns fragments
    off."""
    seconds = settings.FRAGMENT_CACHE_SECONDS
    if seconds <= 0 or (request is not None and not is_anonymous(request)):
        # Signed-in staff see their work as the database has it.
        return render()
    key = fragment_key(name, parts)
    version = _known_version(request)
    entry = None
    fetched = version is None  # the first fragment of a request reads the entry too
    if fetched:
        found = cache.get_many([SITE_VERSION_KEY, key])
        version = found.get(SITE_VERSION_KEY) or site_version()
        entry = found.get(key)
        if request is not None:
            request._fragment_version = version
    if not _fresh(entry, version):
        entry = local_fragments.get(key)
        if not _fresh(entry, version) and not fetched:
            entry = cache.get(key)
    if _fresh(entry, version):
        local_fragments.put(key, entry)
        return entry[2]
    html = render()
    expires, keep = _lifetime(version, seconds, until)
    entry = (version, expires, html)
    cache.set(key, entry, keep)
    local_fragments.put(key, entry)
    return html
