"""Addresses of the reader's pages, worked out once per process.

`reverse()` walks the URL patterns on every call, and a page links to every section in
its menu, to each story on it and to the site's own pages. An address depends only on
the URL name, its arguments, the URL configuration, the script prefix and the current
application (namespaced URLs), so the answer is kept (a bounded LRU) under all five:
nothing a reader or an editor changes can make a kept address wrong.

Templates get the same through `{% url %}`: `newsroom/templatetags/kept_urls.py`, a
template builtin (settings.TEMPLATES), replaces Django's tag with one that asks here.
"""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@functools.lru_cache(maxsize=8192)
def _reversed(urlconf, prefix, name, args, kwargs, current_app):
    return reverse(name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


def address(name, *args, current_app=None, **kwargs):
    """`reverse(name, args=args, kwargs=kwargs)`, kept for the next call with the same
    arguments (any argument that cannot be a dictionary key is reversed every time)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    try:
        return _reversed(
            urlconf, get_script_prefix(), name, args, tuple(sorted(kwargs.items())), current_app
        )
    except TypeError:  # unhashable
        return reverse(name, args=args, kwargs=kwargs, current_app=current_app)
