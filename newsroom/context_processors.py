from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from newsroom.compiled import CompiledQuery


def _menu():
    from articles.models import Section

    return Section.objects.values_list("pk", "name", "slug")


def _showing(now):
    from articles.models import Breaking

    return Breaking.objects.showing(now).only("text", "url", "article_id")[:1]


# Run on every full render of a page: compiled once (newsroom/compiled.py).
MENU, SHOWING = CompiledQuery(_menu), CompiledQuery(_showing)


def _sections():
    """The section menu: each section's id, name and address (plain dicts, which a
    template reads fastest), in one query of three columns."""
    from articles.models import Section

    return [
        {"pk": pk, "name": name, "url": Section.url_for(slug)} for pk, name, slug in MENU.rows()
    ]


def _breaking():
    """The breaking news banner showing now, or None (articles/models/live.py). There is
    usually none: the query joins nothing; a banner's story is read only when it has one."""
    from articles.models import Article
    from newsroom import invalidation
    from newsroom.caching import depends_on

    found = SHOWING.objects(timezone.now())
    banner = found[0] if found else None
    if banner is not None and banner.article_id:
        depends_on(invalidation.article(banner.article_id))  # its link goes when it does
        story = (
            Article.objects.filter(pk=banner.article_id)
            .only("kind", "status", "slug", "published_at", "expires_at", "created_at")
            .first()
        )
        if story is None:  # deleted since: the banner shows its text alone
            banner.article_id = None
        else:
            banner.article = story
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
