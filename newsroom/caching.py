"""The public page cache and the fragment cache, and how their entries end.

Pages. Anonymous readers get pages any cache may keep (DESIGN.md, "Caching"): no
Set-Cookie, no `Vary: Cookie`, `Cache-Control: public` with `max-age` and `s-maxage`,
an ETag, and 304 for a matching `If-None-Match`. Views marked `public_page` are kept
whole in the shared cache (Redis when REDIS_URL is set). `PageCacheMiddleware`, early
in settings.MIDDLEWARE, answers hits for requests without a session cookie: one
`get_many`, no database, no session. `public_page` answers the anonymous readers who
do carry a session cookie, with the same `serve_from_cache()`.

A page is kept under its address and only the query parameters its view reads
(`page_params`): `?utm_source=…`, `fbclid` or any other parameter share the page's
entry, so nobody can create entries at will. 404s are never kept.

Fragments. Views that still run (page cache off or missed, readers with a session)
keep the expensive parts of their pages: `cached_fragment()` and `{% fragment %}`.

What a page shows. While a page or a fragment is built, the code that reads what it
shows names it with `depends_on(*keys)`, in the vocabulary of `newsroom.invalidation`
(`article-12`, `section-3`, `front`, ...). A fragment's keys join the page's, so a
page kept whole knows the keys of all its parts; they also go out as `Surrogate-Key`.

What changed. `changed(keys)` (called by `newsroom.invalidation`, which listens to the
models) adds the keys to a change log in the shared cache: a counter and one entry per
change. Every kept entry is stamped with the counter it was built under and is fresh
while none of its keys has changed since. Each process follows the log (`_Changes`:
one more round trip when the counter has moved), so a page-cache hit is one `get_many`
(the counter and the page), and a page or fragment kept in the process's memory is
checked with no round trip of its own. With Redis, every change is also announced
(pub/sub) and each process hears the announcements in a thread of its own: while it
has heard none, it knows the counter has not moved and does not read it (at most for
QUIET_SECONDS), so a hit on a page it served last costs no round trip at all.

The clock. A scheduled story appears, an expiring one leaves, with nothing saved to
announce it: no entry is kept past the next such moment (`next_clock_change()`, from
the sources `newsroom.invalidation` registers).

The cache is only ever a shortcut: whatever it answers or fails to answer
(`newsroom.cache_backends` turns a failing Redis into misses), pages are right.
"""

import collections
import contextlib
import contextvars
import functools
import hashlib
import logging
import sys
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control

from .cache_backends import stop_listening

logger = logging.getLogger(__name__)

COUNTER_KEY = "newsroom:changes"
START_KEY = "newsroom:changes-start"
LOG_KEY = "newsroom:change"
PAGE_KEY_PREFIX = "newsroom:page"
FRAGMENT_KEY_PREFIX = "newsroom:fragment"
CLOCK_MEMO_KEY = "newsroom:next-clock-change"

# Every entry depends on ALL; CLOCK is changed when what appears by the clock changes.
ALL = "all"
CLOCK = "clock"

# The log keeps a change longer than any entry lives, so an entry outlives no change
# the log has forgotten.
LOG_SECONDS = 3600
# A process further behind than this starts afresh: everything it knew is stale.
MAX_BEHIND = 5000
# Keys a process remembers; forgetting one makes the entries older than its change stale.
MAX_REMEMBERED = 50_000
# A change counted but not yet written to the log (its writer is between the two
# calls) is waited for this long, then taken as unknown: everything before it is stale.
MISSING_GRACE = 1.0
# A process that hears the changes announced (Redis pub/sub) reads the counter only
# after it heard one, and at least this often in case a notice went astray.
QUIET_SECONDS = 1.0
ANNOUNCE_CHANNEL = "newsroom:changed"
# Query values longer than this are not part of any key (nothing reads them whole).
MAX_PARAM_LENGTH = 200
# Parameters that are page numbers: 1 is the page without the parameter.
NUMBER_PARAMS = {"page", "comments", "updates", "p"}


def _now():
    return time.time()


# What a page shows ----------------------------------------------------------------

_recording = contextvars.ContextVar("newsroom_cache_keys", default=None)


def depends_on(*keys):
    """Name what the page or fragment being built shows (no-op outside one)."""
    keys_so_far = _recording.get()
    if keys_so_far is not None:
        keys_so_far.update(keys)


@contextlib.contextmanager
def recording():
    """Collect the keys named while building; they also join the enclosing recording."""
    keys = set()
    token = _recording.set(keys)
    try:
        yield keys
    finally:
        _recording.reset(token)
        depends_on(*keys)


# What changed ---------------------------------------------------------------------

_grouped = contextvars.ContextVar("newsroom_cache_grouped", default=None)


def changed(keys):
    """End every entry that depends on one of `keys`: now, and again once the current
    transaction commits (a page built in between still read the old rows)."""
    keys = frozenset(keys)
    if not keys:
        return
    group = _grouped.get()
    if group is not None:
        group.update(keys)
        return
    _log(keys)
    if not transaction.get_autocommit():
        transaction.on_commit(lambda: _log(keys))


@contextlib.contextmanager
def grouped(limit=1000):
    """Gather the changes made inside (a bulk import) and log them once at the end;
    more than `limit` keys end everything."""
    keys = set()
    token = _grouped.set(keys)
    try:
        yield keys
    finally:
        _grouped.reset(token)
        changed({ALL} if len(keys) > limit else keys)


def _start_counter():
    start = time.time_ns() // 1000
    # From the clock, not from 1: after Redis is emptied the counter is above any
    # stamp an entry kept in a process's memory carries.
    cache.add(START_KEY, start, None)
    cache.add(COUNTER_KEY, start, None)
    return cache.get(COUNTER_KEY) or start


def _log(keys):
    try:
        number = cache.incr(COUNTER_KEY)
    except ValueError:
        _start_counter()
        try:
            number = cache.incr(COUNTER_KEY)
        except ValueError:
            logger.warning("could not count a change of %s", sorted(keys))
            return
    cache.set(f"{LOG_KEY}:{number}", keys, LOG_SECONDS)
    changes.unsettle()  # this process reads it on its next request, not when it hears it
    announce = getattr(cache, "announce", None)
    if announce is not None:
        announce(ANNOUNCE_CHANNEL)


def _announcements():
    """The change announcements this process hears, or None (a cache without them)."""
    listen = getattr(cache, "announcements", None)
    return listen(ANNOUNCE_CHANNEL) if listen is not None else None


class _Changes:
    """This process's copy of the change log: for each key, the change that last
    touched it. An entry stamped `stamp` is fresh when none of its keys changed after
    it and it is not older than `floor` (what this process can no longer vouch for)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self, at=None):
        self.seen = at
        self.floor = at or 0
        self.last = collections.OrderedDict()
        self._missing = None
        self._read = None  # (announcements heard, time) at the last read of the counter

    def settled(self):
        """True when reading the counter would tell nothing new: this process hears
        the changes announced, heard none since it last read it, and read it less than
        QUIET_SECONDS ago. A change made in this process unsettles it at once."""
        read = self._read
        if read is None or self.seen is None:
            return False
        announcements = _announcements()
        return (
            announcements is not None
            and announcements.live
            and announcements.heard == read[0]
            and time.monotonic() - read[1] < QUIET_SECONDS
        )

    def reading(self):
        """Called just before the counter is read (so a notice heard meanwhile counts)."""
        announcements = _announcements()
        self._read = (announcements.heard, time.monotonic()) if announcements else None

    def unsettle(self):
        self._read = None

    def follow(self, current):
        """Read the log up to the counter `current`; returns the stamp for what is
        built now (the last change applied)."""
        seen = self.seen
        if seen is None:
            start = cache.get(START_KEY) or current
            seen = max(start, current - MAX_BEHIND)
            with self._lock:
                if self.seen is None:
                    self.reset(seen)
        elif current < seen or current - seen > MAX_BEHIND:
            with self._lock:
                self.reset(current)
            return current
        if current <= seen:
            return self.seen
        found = cache.get_many([f"{LOG_KEY}:{n}" for n in range(seen + 1, current + 1)])
        with self._lock:
            for number in range(self.seen + 1, current + 1):
                keys = found.get(f"{LOG_KEY}:{number}")
                if keys is None:
                    if self._still_waiting(number, current):
                        break
                    self.floor = number
                else:
                    for key in keys:
                        self.last.pop(key, None)
                        self.last[key] = number
                self.seen = number
            while len(self.last) > MAX_REMEMBERED:
                _key, number = self.last.popitem(last=False)
                self.floor = max(self.floor, number)
            return self.seen

    def _still_waiting(self, number, current):
        if current - number > 10:
            return False  # long gone from the log (expired or evicted)
        if self._missing is None or self._missing[0] != number:
            self._missing = (number, time.monotonic())
        return time.monotonic() - self._missing[1] < MISSING_GRACE

    def fresh(self, stamp, keys):
        if stamp < self.floor or self.last.get(ALL, 0) > stamp:
            return False
        last = self.last
        return all(last.get(key, 0) <= stamp for key in keys)


changes = _Changes()


def _read(keys):
    """(the stamp to build under, {key: entry}) in one round trip, or none at all when
    the counter cannot have moved and no entry is asked for."""
    if not keys and changes.settled():
        return changes.seen, {}
    changes.reading()
    found = cache.get_many([COUNTER_KEY, *keys])
    current = found.pop(COUNTER_KEY, None)
    if current is None:
        current = _start_counter()
    stamp = changes.follow(current)
    if stamp < current:
        changes.unsettle()  # a change counted but not logged yet: look again next time
    return stamp, found


def request_stamp(request):
    """The stamp of everything this request builds: read once, before any row is."""
    stamp = getattr(request, "_cache_stamp", None)
    if stamp is None:
        stamp = _read([])[0]
        request._cache_stamp = stamp
    return stamp


def _fresh(entry):
    """Entries are (stamp, expires, keys, ...)."""
    return entry is not None and entry[1] > _now() and changes.fresh(entry[0], entry[2])


# The clock ------------------------------------------------------------------------

_clock_sources = []


def register_clock(source):
    """`source()` returns when, by the clock alone, something next appears or leaves
    (an aware datetime) or None."""
    if source not in _clock_sources:
        _clock_sources.append(source)


def next_clock_change(stamp):
    """When the next thing appears or leaves by the clock (a Unix time), or None: read
    once for every change of CLOCK, by whichever process needs it first."""
    now = _now()

    def usable(memo):
        return (
            memo is not None
            and changes.fresh(memo[0], (CLOCK,))
            and (memo[1] is None or memo[1] > now)
        )

    if usable(local_fragments.clock):
        return local_fragments.clock[1]
    memo = cache.get(CLOCK_MEMO_KEY)
    if not usable(memo):
        moments = [when.timestamp() for when in (source() for source in _clock_sources) if when]
        memo = (stamp, min(moments, default=None))
        cache.set(CLOCK_MEMO_KEY, memo, LOG_SECONDS)
    local_fragments.clock = memo
    return memo[1]


def fresh_for(request, seconds):
    """`seconds`, or fewer when something appears by the clock sooner: how long a
    shared cache (the page cache, a CDN) may keep a page rendered or served now."""
    if seconds <= 0:
        return seconds
    moment = next_clock_change(request_stamp(request))
    if moment is None:
        return seconds
    return max(0, min(seconds, int(moment - _now())))


def _lifetime(stamp, seconds, until=None):
    """(expiry time, seconds to keep) for an entry built now: no later than the next
    change by the clock, nor than `until` (a datetime) when that is to come."""
    now = _now()
    expires = now + seconds
    moment = next_clock_change(stamp)
    if moment is not None:
        expires = min(expires, moment)
    if until is not None and until.timestamp() > now:
        expires = min(expires, until.timestamp())
    return expires, max(1, int(expires - now + 1))


# Pages ----------------------------------------------------------------------------


def is_anonymous(request):
    # Without a session cookie nobody is signed in; looking no further keeps the
    # session untouched, so no `Vary: Cookie` and no query.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True
    return not request.user.is_authenticated


@functools.lru_cache(maxsize=4096)
def _page_params(path):
    """The query parameters the public page at `path` reads, or None when the path is
    not a public page (then nothing is looked up)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    view = match.func
    params = getattr(view, "page_params", None)
    if params is None:
        params = getattr(getattr(view, "view_class", None), "page_params", None)
    return params


def _param_value(name, value):
    value = " ".join(value.split())[:MAX_PARAM_LENGTH]
    if name in NUMBER_PARAMS:
        # What int() reads: isdigit() also takes "²", which int() refuses.
        if not value.isdecimal() or len(value) > 9:
            return "-"  # every malformed number shares one entry (the view says 404)
        number = int(value)
        return None if number == 1 else str(number)
    return value or None


def page_key(request, params):
    parts = []
    for name in sorted(params):
        if name in request.GET:
            value = _param_value(name, request.GET[name])
            if value is not None:
                parts.append(f"{name}={value}")
    url = f"{request.scheme}://{request.get_host()}{request.path}?{'&'.join(parts)}"
    return f"{PAGE_KEY_PREFIX}:{hashlib.sha256(url.encode()).hexdigest()}"


def _cacheable(request):
    return request.method in ("GET", "HEAD") and settings.PAGE_CACHE_SECONDS > 0


def serve_from_cache(request):
    """The kept page for this request, or None (and the request's stamp is read)."""
    params = _page_params(request.path_info)
    if params is None or not _cacheable(request):
        return None
    key = page_key(request, params)
    request._page_key = key
    entry = local_fragments.get(key)
    if entry is not None:
        # This process served the page last: only the change log is read, not the page.
        stamp = _read([])[0]
        if not _fresh(entry):
            entry = cache.get(key)  # another process may have made it again since
            _keep_here(key, entry)
    else:
        stamp, found = _read([key])
        entry = found.get(key)
        _keep_here(key, entry)
    request._cache_stamp = stamp
    if not _fresh(entry):
        return None
    status, content, headers = entry[3:]
    response = HttpResponse(content, status=status)
    for name, value in headers.items():
        response[name] = value
    return _conditional(request, _public_headers(request, response, only_if_sooner=True))


def _keep_here(key, entry):
    """Keep a fresh page in this process's memory too (checked like any entry)."""
    if _fresh(entry):
        local_fragments.put(key, entry, size=len(entry[4]))


def _keep(request, response):
    key = getattr(request, "_page_key", None)
    if (
        key is None
        or not getattr(response, "_public_page", False)
        or response.status_code not in (200, 410)
        or response.streaming
        or response.cookies
        or "cookie" in response.get("Vary", "").lower()
    ):
        return
    headers = {name: value for name, value in response.items() if name != "Set-Cookie"}
    stamp = request_stamp(request)
    expires, keep = _lifetime(stamp, settings.PAGE_CACHE_SECONDS)
    entry = (stamp, expires, response._cache_keys, response.status_code, response.content)
    cache.set(key, (*entry, headers), keep)
    _keep_here(key, (*entry, headers))


def _conditional(request, response):
    if response.status_code == 200:
        return get_conditional_response(request, etag=response.get("ETag"), response=response)
    return response


class PageCacheMiddleware:
    """Answers anonymous GET/HEAD requests from the page cache before sessions, auth and
    the view run, and keeps the pages `public_page` marked as public."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return self.get_response(request)
        hit = serve_from_cache(request)
        if hit is not None:
            return hit
        response = self.get_response(request)
        _keep(request, response)
        return _conditional(request, response) if hasattr(request, "_page_key") else response


def _public_headers(request, response, only_if_sooner=False):
    """Cache-Control for a public page: shared caches keep it PAGE_CACHE_SECONDS, browsers
    at most PAGE_BROWSER_SECONDS, and neither past the next change by the clock. A kept
    page keeps its stored header unless that moment is sooner."""
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


def etag_for(content):
    """The ETag of a public page's bytes (a view that keeps its answer keeps this too)."""
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def surrogate_keys(keys):
    return " ".join(sorted({*keys, ALL}))


def public_page(view=None, *, params=()):
    """Mark a view's anonymous GET/HEAD responses as public pages: kept whole, under
    the view's address and the query `params` it reads.

    Signed-in staff get the page fresh and marked private. Responses that set a cookie
    or are not 200/404/410 are not public; 404s are public but never kept."""
    if view is None:
        return functools.partial(public_page, params=params)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or not is_anonymous(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        kept_by_middleware = hasattr(request, "_page_key")
        if not kept_by_middleware:
            # A reader with a session cookie, which the middleware cannot look into.
            hit = serve_from_cache(request)
            if hit is not None:
                return hit
        request_stamp(request)  # before the view reads a row
        with recording() as keys:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
        if response.status_code not in (200, 404, 410) or response.cookies:
            return response
        if response.status_code == 200 and not response.has_header("ETag"):
            response["ETag"] = etag_for(response.content)
        response["Surrogate-Key"] = surrogate_keys(keys)
        response._cache_keys = frozenset(keys)
        response._public_page = True
        _public_headers(request, response)
        if kept_by_middleware:
            return response  # the middleware keeps it, then answers If-None-Match
        _keep(request, response)
        return _conditional(request, response)

    wrapper.page_params = tuple(params)
    return wrapper


class PublicPageMixin:
    """For class-based views: `page_params` names the query parameters the view reads."""

    page_params = ()

    @classmethod
    def as_view(cls, **initkwargs):
        view = public_page(super().as_view(**initkwargs), params=cls.page_params)
        view.view_class = cls
        return view


# Fragments ------------------------------------------------------------------------


class _LocalFragments:
    """The fragments this process served last, in memory, checked like any entry (so
    never stale): a page's fragments cost no round trip of their own. Bounded by size
    (FRAGMENT_LOCAL_MB, the least recently used out first). It also remembers when the
    next change by the clock is due."""

    # What an entry that is not a string (an article's keys, a section) is counted as.
    OBJECT_BYTES = 2048

    def __init__(self):
        self._entries = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.clock = None  # (stamp, Unix time or None)

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

    def put(self, key, entry, size=None):
        if size is None:
            value = entry[3]
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
            self.clock = None


local_fragments = _LocalFragments()


def forget_everything_in_this_process():
    """For tests, and a process that must start afresh."""
    local_fragments.clear()
    changes.reset()
    _page_params.cache_clear()
    stop_listening()


def fragment_key(name, parts):
    digest = hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()
    return f"{FRAGMENT_KEY_PREFIX}:{name}:{digest}"


def cached_fragment(name, parts, render, request=None, until=None, keep=None, keys=(), store=None):
    """What `render()` returns (HTML, or a small object a page is built on: the keys of
    an article, a section), kept under `name` and `parts` with `keys` and the keys it
    named while rendering (`depends_on`), and served again until one of them changes,
    the next change by the clock, FRAGMENT_CACHE_SECONDS, or `until` (a datetime: what
    the clock ends, comments closing). `keep(value)` False: not kept (a lookup that
    found nothing must not make an entry per made-up address); `store(value)`: what is
    kept of it (this request still gets the whole value). Signed-in staff always get
    `render()`."""
    seconds = settings.FRAGMENT_CACHE_SECONDS
    if seconds <= 0 or (request is not None and not is_anonymous(request)):
        depends_on(*keys)
        return render()
    key = fragment_key(name, parts)
    stamp = getattr(request, "_cache_stamp", None)
    if stamp is None:
        stamp, found = _read([key])
        if request is not None:
            request._cache_stamp = stamp
        entry = found.get(key)
    else:
        entry = local_fragments.get(key)
        if not _fresh(entry):
            entry = cache.get(key)
    if _fresh(entry):
        local_fragments.put(key, entry)
        depends_on(*entry[2])
        return entry[3]
    with recording() as named:
        depends_on(*keys)
        value = render()
    if keep is None or keep(value):
        expires, lifetime = _lifetime(stamp, seconds, until)
        entry = (stamp, expires, frozenset(named), value if store is None else store(value))
        cache.set(key, entry, lifetime)
        local_fragments.put(key, entry)
    return value
