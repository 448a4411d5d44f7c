"""The public page cache and its invalidation.

Anonymous readers get pages any cache may keep (DESIGN.md, "Caching"): no
Set-Cookie, no `Vary: Cookie`, `Cache-Control: public` with `max-age` and
`s-maxage`, an ETag, and 304 for a matching `If-None-Match`. Rendered pages are
kept in Django's cache (Redis when REDIS_URL is set, so every app process shares
them) under a key that includes a site-wide version number.

Every change a reader could see (publish, edit, withdraw, correction, comment
approval) calls `content_changed()`, which bumps the version: the next request
anywhere renders afresh. A cache hit touches neither the database nor the session.
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
# Headers a cached page keeps; everything else is per response.
KEPT_HEADERS = ("Content-Type", "Content-Language", "Last-Modified", "X-Robots-Tag", "Link")


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
    return f"{PAGE_KEY_PREFIX}:{site_version()}:{digest}"


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
    """Serve anonymous GET/HEAD requests from the shared page cache.

    Signed-in staff get the page fresh and marked private. Responses that set a cookie
    or are not 200/404/410 are never stored."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or not _is_anonymous(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response

        seconds = settings.PAGE_CACHE_SECONDS
        key = page_key(request) if seconds > 0 else None
        entry = cache.get(key) if key else None
        if entry is not None:
            response = _from_cache(entry)
        else:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if response.status_code not in (200, 404, 410) or response.cookies:
                return response
            if response.status_code == 200 and not response.has_header("ETag"):
                response["ETag"] = _etag(response.content)
            _public_headers(response)
            if key:
                headers = {
                    name: response[name]
                    for name in (*KEPT_HEADERS, "ETag", "Cache-Control")
                    if response.has_header(name)
                }
                cache.set(key, (response.status_code, response.content, headers), seconds)
        if response.status_code == 200:
            return get_conditional_response(request, etag=response.get("ETag"), response=response)
        return response

    return wrapper
