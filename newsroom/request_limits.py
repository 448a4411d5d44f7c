"""Request bodies refused by their size before anything reads them.

Django reads a form body whole (up to DATA_UPLOAD_MAX_MEMORY_SIZE, site-wide) as soon
as anything touches `request.POST`, and middleware does (the hostile-input guard, the
CSRF check). A view that never needs a large body says so with `@limit_request_body`,
and `RequestBodyLimitMiddleware`, placed before those, answers 413 from the declared
Content-Length alone. Without a Content-Length, Django reads no body at all.
"""

from django.http import HttpResponse
from django.urls import Resolver404, resolve


def limit_request_body(max_bytes, *, refused=None):
    """Declare that a view takes a body of at most `max_bytes()` bytes (a callable, so
    that settings are read per request). A bigger one gets `refused(request, limit)`,
    or a plain 413."""

    def decorate(view):
        view.max_request_bytes = max_bytes
        view.request_too_large = refused
        return view

    return decorate


def declared_length(request):
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = declared_length(request)
        if length:
            try:
                view = resolve(request.path_info).func
            except Resolver404:
                view = None
            max_bytes = getattr(view, "max_request_bytes", None)
            if max_bytes is not None and length > max_bytes():
                refused = getattr(view, "request_too_large", None)
                if refused is not None:
                    return refused(request, max_bytes())
                return HttpResponse(
                    "Request too large.\n", status=413, content_type="text/plain; charset=utf-8"
                )
        return self.get_response(request)
