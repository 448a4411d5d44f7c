"""Site-wide request guards: hostile input answered with a 400, a database outage with a 503.

A request that cannot be served because of what the client sent is the client's
error (4xx); a request that cannot be served because the database is away is a
temporary outage (503 with Retry-After), never a traceback or a 500.
"""

import errno
import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger("newsroom.availability")

# Characters no URL or query of this site ever needs. PostgreSQL refuses NUL in text
# outright, so a NUL that got through would turn a bad request into a 500; form
# fields are held to NUL only (forms reject the rest with their own errors).
_FORBIDDEN_IN_URL = {chr(c) for c in range(0x00, 0x20)} | {"\x7f"}
_FORBIDDEN_IN_FORM = {"\x00"}
# Field names whose values must never be echoed back on the outage page.
_SECRET_FIELDS = ("password", "token", "csrf", "secret", "otp")

RETRY_AFTER_SECONDS = 30
# No search, filter or page number needs more; gunicorn refuses request lines over
# 4 KB anyway, and an unbounded LIKE pattern is work an attacker chooses for us.
MAX_QUERY_VALUE_LENGTH = 2048


def _has_forbidden(text, forbidden):
    return any(ch in forbidden for ch in text)


class HostileInputMiddleware:
    """Reject control characters and overlong values in the path and query string,
    and NUL in form fields, with a clear 400 before any view or database sees them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self.problem(request)
        if problem and request.path.startswith("/api/"):
            # The content API speaks JSON, its errors too (articles/api/).
            return JsonResponse({"error": f"Bad request: {problem}."}, status=400)
        if problem:
            return HttpResponseBadRequest(
                f"Bad request: {problem}.\n", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)

    def problem(self, request):
        if _has_forbidden(request.path, _FORBIDDEN_IN_URL):
            return "the address contains control characters"
        for key, values in request.GET.lists():
            if _has_forbidden(key, _FORBIDDEN_IN_URL) or any(
                _has_forbidden(v, _FORBIDDEN_IN_URL) for v in values
            ):
                return "the query string contains control characters"
            if any(len(v) > MAX_QUERY_VALUE_LENGTH for v in values):
                return f"a query value is longer than {MAX_QUERY_VALUE_LENGTH} characters"
        if request.method == "POST" and request.content_type in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }:
            for key, values in request.POST.lists():
                if _has_forbidden(key, _FORBIDDEN_IN_FORM) or any(
                    _has_forbidden(v, _FORBIDDEN_IN_FORM) for v in values
                ):
                    return f"the form field “{key[:40]}” contains a NUL character"
        return None


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-site")
        return response


# Errors that mean the media storage cannot take a file (full, read-only, missing).
_STORAGE_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.ENOTDIR,
    errno.EIO,
}


def database_unavailable(exc):
    return isinstance(exc, OperationalError | InterfaceError)


def storage_unavailable(exc):
    return isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS


def service_unavailable(request, exc=None, *, problem="Database"):
    """The outage page: rendered without the database, context processors or a session."""
    logger.error(
        "%s unavailable answering %s %s: %s",
        problem,
        request.method,
        request.path,
        exc,
        exc_info=exc is not None,
    )
    kept = []
    if request.method == "POST":
        try:
            items = list(request.POST.lists())
        except Exception:  # the outage page must render, whatever the body was
            items = []
        for key, values in items:
            if any(secret in key.lower() for secret in _SECRET_FIELDS):
                continue
            kept.extend({"name": key, "value": v} for v in values if v.strip())
    context = {
        "storage": problem == "Storage",
        "kept": kept,
        "retry_after": RETRY_AFTER_SECONDS,
        "site_name": settings.NEWSROOM_SITE_NAME,
    }
    try:
        content = loader.render_to_string("503.html", context)
    except Exception:  # the page of last resort must not fail in turn
        logger.exception("The 503 page could not be rendered")
        content = (
            "<!doctype html><title>Back in a moment</title><h1>We will be back in a moment</h1>"
            "<p>The site is having a short technical problem. Please try again shortly.</p>"
        )
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view that loses the database, or cannot write to the media storage, answers
    the 503 page (and keeps a POST's text)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_unavailable(exception):
            return service_unavailable(request, exception)
        if storage_unavailable(exception):
            # The view's transaction (the admin's is atomic) has rolled back: no row
            # points at a file that was never written.
            return service_unavailable(request, exception, problem="Storage")
        return None


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: a database outage anywhere (middleware included) is a 503, not a 500."""
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        return service_unavailable(request, exc)
    if exc is not None and storage_unavailable(exc):
        return service_unavailable(request, exc, problem="Storage")
    return defaults.server_error(request, template_name)


class MediaNonceMiddleware:
    """Give the admin's form media (the rich-text editor's import map, an inline
    `<script type="importmap">`) this response's CSP nonce, so the strict policy can
    allow exactly that script and no other inline one; and allow the editor's one
    injected stylesheet by its hash (settings.PROSE_EDITOR_STYLE_HASHES)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        context = response.context_data
        media = context.get("media") if isinstance(context, dict) else None
        if media is None:
            return response
        if getattr(media, "_importmap", None) is not None and hasattr(request, "csp_nonce"):
            from js_asset import Media

            context["media"] = Media.from_media(media, nonce=request.csp_nonce)
        if "django_prose_editor/" in str(media):
            response._csp_update = {"style-src": list(settings.PROSE_EDITOR_STYLE_HASHES)}
        return response
