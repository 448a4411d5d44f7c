"""The public page cache and its invalidation.

Anonymous readers get pages any cache may keep (DESIGN.md, "Caching"): no
Set-Cookie, no `Vary: Cookie`, `Cache-Control: public` with `max-age` and
`s-maxage`, an ETag, and 304 for a matching `If-None-Match`. Rendered pages are
kept in Django's cache (Redis when REDIS_URL is set, so every app process shares
them) together with the site-wide version number they were rendered under.

Every change a reader could see (publish, edit, withdraw, correction, comment
approval) calls `content_changed()`, which bumps the version: an entry of an older
version is a miss, and the next request anywhere renders afresh.

`PageCacheMiddleware` (early in settings.MIDDLEWARE, before sessions and auth)
answers hits for requests without a session cookie: one cache round trip
(`get_many` of the version and the page), no database, no session. It stores what
the views wrapped in `public_page` rendered, with the headers the middleware inside
it added, so a hit carries the same headers as a miss; the middleware outside it
(security headers, CSP, surrogate keys) runs on hits too.
"""

import functools
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

SITE_VERSION_KEY = "newsroom:site-version"
PAGE_KEY_PREFIX = "newsroom:page"


def site_version():
    version = cache.get(SITE_VERSION_KEY)
    if version is None:
        cache.add(SITE_VERSION_KEY, 1, timeout=None)
        version = cache.get(SITE_VERSION_KEY, 1)
    return version


def _bump_version():
    try:
        cache.incr(SITE_VERSION_KEY)
    except ValueError:
        cache.add(SITE_VERSION_KEY, 2, timeout=None)


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


def _is_anonymous(request):
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
    if entry is None or entry[0] != version:
        return version, None
    return version, _from_cache(entry[1:])


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
        if hit is not None:
            return _conditional(request, hit)
        request._page_cache_version = version
        response = self.get_response(request)
        if (
            getattr(response, "_public_page", False)
            and response.status_code in (200, 404, 410)
            and not response.streaming
            and not response.cookies
            and "cookie" not in response.get("Vary", "").lower()
        ):
            headers = {name: value for name, value in response.items() if name != "Set-Cookie"}
            entry = (version, response.status_code, response.content, headers)
            cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
        return _conditional(request, response)


def _public_headers(response):
    seconds = settings.PAGE_CACHE_SECONDS
    patch_cache_control(
        response,
        public=True,
        max_age=min(seconds, settings.PAGE_BROWSER_SECONDS),
        s_maxage=seconds,
    )


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
        if request.method not in ("GET", "HEAD") or not _is_anonymous(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response

        stored_by_middleware = hasattr(request, "_page_cache_version")
        if not stored_by_middleware and settings.PAGE_CACHE_SECONDS > 0:
            hit = cached_page(page_key(request))[1]
            if hit is not None:
                return _conditional(request, hit)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code not in (200, 404, 410) or response.cookies:
            return response
        if response.status_code == 200 and not response.has_header("ETag"):
            response["ETag"] = _etag(response.content)
        _public_headers(response)
        response._public_page = True
        if stored_by_middleware:
            # The middleware answers If-None-Match once it has stored the whole page.
            return response
        return _conditional(request, response)

    return wrapper
