from django.conf import settings
from django.utils.functional import SimpleLazyObject


def _sections():
    from articles.models import Section

    return list(Section.objects.only("name", "slug"))


def site(request):
    """Site-wide values every page's header and footer use. The section menu is read only
    when a template shows it (never on a cached page)."""
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_url": settings.NEWSROOM_SITE_URL,
        "site_language": settings.NEWSROOM_LANGUAGE,
        "nav_sections": SimpleLazyObject(_sections),
    }
