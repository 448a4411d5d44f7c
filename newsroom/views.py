import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from articles import seo

from . import tasks

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers a query, 503 when it does not; with how long the
    oldest task has waited for a worker (a growing age: no worker is running)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    queue = {"backend": settings.TASKS_BACKEND}
    try:
        queue["oldest_waiting_seconds"] = tasks.oldest_waiting_seconds()
    except Exception:  # the task store (Redis) being down is reported, not a 500
        logger.exception("could not read the task queue")
        queue["oldest_waiting_seconds"] = None
        queue["error"] = "unavailable"
    return JsonResponse({"status": "ok", "database": "ok", "tasks": queue})


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /comments/",
        "Disallow: /search/",
        "",
        f"Sitemap: {seo.absolute(reverse('sitemap'))}",
        f"Sitemap: {seo.absolute(reverse('news_sitemap'))}",
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def favicon(request):
    """Pages declare the site's icon (static/img/favicon.svg); whatever asks for the old
    address regardless (feed readers, bookmarks, a tab of a file with no head) gets it."""
    response = HttpResponsePermanentRedirect(static("img/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
