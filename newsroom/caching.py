"""Shared page-cache invalidation.

Every change a reader could see (publish, edit, withdraw, comment approval) calls
`content_changed()`. The cache is shared by every app process (Redis in
production), so the next request anywhere sees the change.
"""

from django.core.cache import cache

SITE_VERSION_KEY = "newsroom:site-version"


def site_version():
    version = cache.get(SITE_VERSION_KEY)
    if version is None:
        cache.add(SITE_VERSION_KEY, 1, timeout=None)
        version = cache.get(SITE_VERSION_KEY, 1)
    return version


def content_changed(*, article_ids=(), section_ids=(), tag_slugs=()):
    """Invalidate cached public pages after a change. The arguments name what changed,
    for finer-grained purging (CDN surrogate keys); every page is invalidated."""
    try:
        cache.incr(SITE_VERSION_KEY)
    except ValueError:
        cache.add(SITE_VERSION_KEY, 2, timeout=None)
    from . import cdn  # the CDN purge hook (newsroom/cdn.py); a no-op unless configured

    cdn.purge_after_commit(article_ids=article_ids, section_ids=section_ids, tag_slugs=tag_slugs)
