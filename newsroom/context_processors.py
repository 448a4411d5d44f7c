from django.conf import settings
from django.utils.functional import SimpleLazyObject


def _sections():
    from articles.models import Section

    return list(Section.objects.only("name", "slug"))


def _breaking():
    """The breaking news banner showing now, or None (articles/models/live.py)."""
    from articles.models import Breaking
    from newsroom import invalidation
    from newsroom.caching import depends_on

    banner = (
        Breaking.objects.showing()
        .select_related("article")
        .only(
            "text",
            "url",
            "article_id",
            "article__kind",
            "article__status",
            "article__slug",
            "article__published_at",
            "article__expires_at",
            "article__created_at",
        )
        .first()
    )
    if banner is not None and banner.article_id:
        depends_on(invalidation.article(banner.article_id))  # its link goes when it does
    return banner


def site(request):
    """Site-wide values every page's header and footer use. The section menu and the
    breaking news banner are read only when a template shows them (never on a cached
    page)."""
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_url": settings.NEWSROOM_SITE_URL,
        "site_language": settings.NEWSROOM_LANGUAGE,
        "nav_sections": SimpleLazyObject(_sections),
        "breaking": SimpleLazyObject(_breaking),
    }
