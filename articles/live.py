"""Live coverage for readers: the updates on a live article's page, and the endpoint
readers' pages poll for new ones (`articles:live_updates`).

Both read `LiveUpdate.objects.public()`'s rule (published, on a live article) and name
`article-<id>-updates` with `depends_on`, so a published, changed or withdrawn update
ends that page and that endpoint, and nothing else (newsroom/invalidation.py). The
endpoint is a public page like any other: kept whole under its `since`, with an ETag,
so a poll with nothing new is one cache lookup, or a 304.
"""

import re

from django.conf import settings
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from newsroom import invalidation
from newsroom.caching import cached_fragment, depends_on, public_page

from .models import LiveUpdate

#: The most updates one poll returns; a page further behind is told to reload.
MAX_NEW = 50
UPDATE_FIELDS = (
    "id",
    "article_id",
    "title",
    "body_html",
    "body_media",
    "pinned",
    "key_event",
    "status",
    "published_at",
    "updated_at",
    "author__name",
    "author__slug",
)


def published(article_id):
    """An article's published updates, newest first, with what the page shows of them."""
    return (
        LiveUpdate.objects.filter(article_id=article_id, status=LiveUpdate.Status.PUBLISHED)
        .select_related("author")
        .only(*UPDATE_FIELDS)
        .order_by("-published_at", "-id")
    )


def page_number(request):
    raw = request.GET.get("updates", "1") if request is not None else "1"
    # ASCII digits only: str.isdigit() also takes superscripts and other scripts' digits.
    if not re.fullmatch(r"[0-9]{1,6}", raw) or int(raw) < 1:
        raise Http404("That is not a page of updates.")
    return int(raw)


class LiveCoverage:
    """What a live article's page shows of its updates: pinned ones and the key events
    on the first page, then the others newest first, a page at a time. Read on first
    use, so a page whose fragment is kept reads nothing."""

    def __init__(self, article, request):
        self.article = article
        self.request = request
        self.number = page_number(request)

    @property
    def keys(self):
        return [invalidation.article(self.article.pk), invalidation.updates(self.article.pk)]

    @cached_property
    def _first_page_extras(self):
        if self.number != 1:
            return [], []
        rows = list(published(self.article.pk).filter(Q(pinned=True) | Q(key_event=True)))
        return [row for row in rows if row.pinned], [row for row in rows if row.key_event]

    @property
    def pinned(self):
        return self._first_page_extras[0]

    @property
    def key_events(self):
        return self._first_page_extras[1]

    @cached_property
    def _stream(self):
        size = settings.LIVE_UPDATES_PER_PAGE
        offset = (self.number - 1) * size
        rows = list(published(self.article.pk).filter(pinned=False)[offset : offset + size + 1])
        if self.number > 1 and not rows:
            raise Http404("There is no page of updates with that number.")
        return rows

    @property
    def updates(self):
        return self._stream[: settings.LIVE_UPDATES_PER_PAGE]

    @property
    def has_older(self):
        return len(self._stream) > settings.LIVE_UPDATES_PER_PAGE

    @cached_property
    def newest(self):
        """The newest update on the page: where readers' pages start polling from."""
        if self.number != 1:
            return None
        shown = [*self.pinned, *self.updates]
        return max(shown, key=lambda u: (u.published_at, u.pk), default=None)

    @cached_property
    def uses_story_script(self):
        return any(
            (u.body_media or {}).get(name)
            for u in [*self.pinned, *self.updates]
            for name in ("frames", "galleries")
        )

    def _url(self, name):
        when = timezone.localtime(self.article.published_at)
        return reverse(
            f"articles:{name}",
            kwargs={
                "year": when.year,
                "month": when.month,
                "day": when.day,
                "slug": self.article.slug,
            },
        )

    @property
    def updates_url(self):
        return self._url("live_updates")

    @property
    def feed_url(self):
        return self._url("feed_live_updates")

    @property
    def atom_feed_url(self):
        return self._url("feed_live_updates_atom")

    @property
    def poll_seconds(self):
        return settings.LIVE_POLL_SECONDS


def frames(article_id):
    """The origins the published updates' embeds load from (the page's frame-src)."""
    origins = set()
    with_frames = published(article_id).filter(body_media__has_key="frames")
    for media in with_frames.values_list("body_media", flat=True):
        origins.update((media or {}).get("frames", ()))
    return sorted(origins)


def _since(request):
    raw = request.GET.get("since", "")
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        return None
    return int(raw)


def _bad_request(message):
    return JsonResponse({"error": message}, status=400)


@public_page(params=("since",))
def live_updates(request, year, month, day, slug):
    """The updates published after `?since=<update id>` (the newest the page shows; 0 for
    none), as
    JSON: their count, the newest id, and their markup for the page to insert."""
    from .views import live_article

    since = _since(request)
    if since is None:
        return _bad_request("Give since=<the id of the newest update your page shows>.")
    article = live_article(request, year, month, day, slug)

    def build():
        depends_on(*(invalidation.article(article.pk), invalidation.updates(article.pk)))
        rows = published(article.pk)
        if since:  # 0: the page showed none yet
            anchor = (
                LiveUpdate.objects.filter(pk=since, article_id=article.pk)
                .exclude(status=LiveUpdate.Status.DRAFT)
                .only("id", "published_at")
                .first()
            )
            if anchor is None:
                return None
            rows = rows.after(anchor)
        rows = list(rows[: MAX_NEW + 1])
        shown = rows[:MAX_NEW]
        return {
            "count": len(shown),
            "more": len(rows) > MAX_NEW,
            "latest": shown[0].pk if shown else since,
            "html": render_to_string("articles/live/updates.html", {"updates": shown, "new": True}),
        }

    data = cached_fragment(
        "live-since", [article.pk, since], build, request, keep=lambda found: found is not None
    )
    if data is None:
        return _bad_request("No update of this story has that id; reload the page.")
    return JsonResponse(data)
