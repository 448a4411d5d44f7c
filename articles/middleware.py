from django.http import HttpResponsePermanentRedirect

from .models import SlugRedirect


class SlugRedirectFallbackMiddleware:
    """Old addresses keep working: a 404 whose path (or WordPress `?p=ID` link) was
    recorded as a `SlugRedirect` answers 301 to the article's current address,
    while the article is live. Like django.contrib.redirects, it only looks when
    the page was not found, so it costs nothing on a normal request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # WordPress's `/?p=ID` shortlinks land on the home page, which exists.
        if request.path == "/" and "p" in request.GET and (redirect := self.find(request)):
            return redirect
        response = self.get_response(request)
        if response.status_code != 404:
            return response
        return self.find(request) or response

    def find(self, request):
        candidates = [request.path]
        if request.GET:
            candidates.insert(0, request.get_full_path())
        redirect = (
            SlugRedirect.objects.filter(old_path__in=candidates, article__in=_live_articles())
            .select_related("article")
            .first()
        )
        if redirect is None:
            return None
        return HttpResponsePermanentRedirect(redirect.article.get_absolute_url())


def _live_articles():
    from .models import Article

    return Article.objects.live()
