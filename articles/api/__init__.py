"""The read-only content API at /api/v1/ (django-ninja; docs/architecture.md says why).

Only live content, through `Article.objects.live()`; cursor pagination; public,
cacheable answers (ETag, 304) through the page cache like the reader's pages.
"""

from .views import api, urls

__all__ = ["api", "urls"]
