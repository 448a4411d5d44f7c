"""Embeds: a page address of an allow-listed provider, resolved through oEmbed and kept.

`settings.EMBED_PROVIDERS` (read at run time) lists the providers: `name`, `endpoint`
(the oEmbed endpoint), `urls` (shell-style patterns of the page addresses it serves),
`frame_origins` (where its frame may load from) and optionally `rewrite_origins`
(a frame origin → its privacy-preserving twin, e.g. youtube.com → youtube-nocookie.com).

`resolve(url)` asks the provider once (micawber matches the address and speaks oEmbed;
requests go through `newsroom.outbound.fetch`, which refuses addresses inside the
network unless `EMBED_ALLOW_PRIVATE`), copies the thumbnail into our media storage and
stores the answer as an `Embed`, so that no reader's page ever waits on a provider or
sends its readers there before they ask. The frame's address comes from the provider's
own HTML, and only when it loads from one of the provider's `frame_origins`.
"""

import datetime
import fnmatch
import logging
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import micawber
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from micawber.exceptions import ProviderException

from newsroom import outbound

from . import images
from .models import Embed
from .richtext import embed_url

logger = logging.getLogger(__name__)

THUMBNAIL_MAX_BYTES = 5 * 1024 * 1024
# A provider that failed is asked again on a later save, but not more often than this.
RETRY_AFTER = datetime.timedelta(minutes=10)
MAX_FRAME_SIDE = 4000


class EmbedError(Exception):
    """Why an address cannot be embedded, in words for the editor."""


@dataclass(frozen=True)
class Provider:
    name: str
    endpoint: str
    urls: tuple
    frame_origins: tuple
    rewrite_origins: dict = field(default_factory=dict, hash=False, compare=False)

    def matches(self, url):
        return any(fnmatch.fnmatchcase(url, pattern) for pattern in self.urls)

    def frame_for(self, src):
        """The frame address to use for `src` from the provider's HTML, or None when it
        would load from anywhere but the provider's frame origins."""
        try:
            parts = urlsplit((src or "").strip())
        except ValueError:
            return None
        if parts.scheme not in ("https", "http") or not parts.netloc:
            return None
        origin = f"{parts.scheme}://{parts.netloc}"
        origin = self.rewrite_origins.get(origin, origin)
        if origin not in self.frame_origins:
            return None
        rest = parts.path or "/"
        return origin + rest + (f"?{parts.query}" if parts.query else "")


def providers():
    return [
        Provider(
            name=entry["name"],
            endpoint=entry["endpoint"],
            urls=tuple(entry.get("urls", ())),
            frame_origins=tuple(origin.rstrip("/") for origin in entry.get("frame_origins", ())),
            rewrite_origins={
                source.rstrip("/"): target.rstrip("/")
                for source, target in entry.get("rewrite_origins", {}).items()
            },
        )
        for entry in settings.EMBED_PROVIDERS
    ]


def provider_for(url):
    """The provider that serves this page address, or None."""
    url = embed_url(url)
    if url is None:
        return None
    return next((provider for provider in providers() if provider.matches(url)), None)


def frame_origin(frame_url):
    parts = urlsplit(frame_url)
    return f"{parts.scheme}://{parts.netloc}"


def check_url(url):
    """The address cleaned, or ValidationError saying why it cannot be embedded."""
    cleaned = embed_url(url)
    if cleaned is None:
        raise ValidationError(
            "“%(url)s” is not an https:// address. Paste the address of the video, post "
            "or chart as its page shows it.",
            code="embed_url",
            params={"url": (url or "")[:200]},
        )
    if provider_for(cleaned) is None:
        names = ", ".join(provider.name for provider in providers()) or "none"
        raise ValidationError(
            "“%(url)s” is not from a provider we embed. Embeds come from: %(names)s. "
            "Link to it in the text instead.",
            code="embed_provider",
            params={"url": cleaned[:200], "names": names},
        )
    return cleaned


class _GuardedProvider(micawber.Provider):
    """micawber's oEmbed provider, fetching through newsroom.outbound."""

    def fetch(self, url):
        try:
            fetched = outbound.fetch(
                url,
                allow_private=settings.EMBED_ALLOW_PRIVATE,
                timeout=self.socket_timeout,
                accept="application/json",
            )
        except outbound.FetchError as exc:
            raise ProviderException(str(exc)) from exc
        return fetched.body.decode("utf-8", errors="replace")


def _registry():
    registry = micawber.ProviderRegistry()
    for provider in providers():
        oembed = _GuardedProvider(provider.endpoint, timeout=settings.EMBED_TIMEOUT)
        oembed.config = provider
        for pattern in provider.urls:
            registry.register(fnmatch.translate(pattern), oembed)
    return registry


class _FrameFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.src = None

    def handle_starttag(self, tag, attrs):
        if tag == "iframe" and self.src is None:
            self.src = dict(attrs).get("src")


def _frame_src(html):
    finder = _FrameFinder()
    finder.feed(html or "")
    return finder.src


def _dimension(value):
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_FRAME_SIDE else None


def resolve(url, *, again=False):
    """The stored Embed for `url`, asking its provider first when it is not resolved yet
    (or `again`). A provider that does not answer leaves it `failed` (a plain link for
    readers); an address of no allowed provider raises ValidationError."""
    url = check_url(url)
    provider = provider_for(url)
    embed, created = Embed.objects.get_or_create(url=url, defaults={"provider": provider.name})
    if embed.is_resolved and not again:
        return embed
    shown = None if created else _shown(embed)
    embed.provider = provider.name
    try:
        data = _registry().request(url, maxwidth=1280)
        frame = provider.frame_for(_frame_src(data.get("html")))
        if frame is None:
            raise EmbedError(f"{provider.name} gave no player we can show from its own address.")
    except (ProviderException, EmbedError) as exc:
        logger.warning("Embed %s not resolved: %s", url, exc)
        embed.status = Embed.Status.FAILED
        embed.error = str(exc)[:500]
        embed.resolved_at = timezone.now()
        return _keep(embed, shown)
    embed.status = Embed.Status.RESOLVED
    embed.error = ""
    embed.kind = str(data.get("type", ""))[:20]
    embed.title = " ".join(str(data.get("title") or "").split())[:500]
    embed.author_name = " ".join(str(data.get("author_name") or "").split())[:300]
    embed.html = str(data.get("html") or "")
    embed.frame_url = frame
    embed.width = _dimension(data.get("width"))
    embed.height = _dimension(data.get("height"))
    embed.resolved_at = timezone.now()
    _copy_thumbnail(embed, data.get("thumbnail_url"))
    return _keep(embed, shown)


def _shown(embed):
    """What the bodies showing `embed` render of it (articles/body/embed.html)."""
    return (
        embed.is_resolved,
        embed.provider,
        embed.title,
        embed.frame_url,
        embed.width,
        embed.height,
        embed.thumbnail.name if embed.thumbnail else "",
        embed.thumbnail_width,
        embed.thumbnail_height,
    )


def _keep(embed, shown):
    """Save `embed`; when it was known before (`shown`: what bodies showed of it) and
    now shows otherwise, the articles and live updates showing it are rendered again, in
    the same transaction, so the pages and fragments its save ends are made anew from
    the new markup (newsroom/invalidation.py ends them again at the commit)."""
    with transaction.atomic():
        embed.save()
        if shown is not None and _shown(embed) != shown:
            from .body import rerender_showing

            rerender_showing(embed)
    return embed


def _copy_thumbnail(embed, address):
    """Keep our own copy of the provider's picture (re-encoded, no metadata), so the
    facade shows it without the reader's browser asking the provider."""
    if not address or not isinstance(address, str):
        return
    try:
        fetched = outbound.fetch(
            address,
            allow_private=settings.EMBED_ALLOW_PRIVATE,
            timeout=settings.EMBED_TIMEOUT,
            max_bytes=THUMBNAIL_MAX_BYTES,
            accept="image/*",
        )
        clean = images.clean_original(ContentFile(fetched.body, name="thumbnail"), "thumbnail")
    except (outbound.FetchError, ValidationError) as exc:
        logger.warning("Thumbnail of %s not copied: %s", embed.url, exc)
        return
    old = embed.thumbnail.name if embed.thumbnail else None
    embed.thumbnail.save(clean.name, clean, save=False)
    if old and old != embed.thumbnail.name:
        embed.thumbnail.storage.delete(old)


def resolve_for_save(urls):
    """{url: Embed} for the body's embed addresses, asking providers only for those not
    resolved yet (saving waits for nothing else). Addresses of no allowed provider are
    left out: they render as plain links."""
    urls = [url for url in dict.fromkeys(urls) if provider_for(url) is not None]
    if not urls:
        return {}
    found = {embed.url: embed for embed in Embed.objects.filter(url__in=urls)}
    recently = timezone.now() - RETRY_AFTER
    for url in urls:
        embed = found.get(url)
        if embed is None or not (
            embed.is_resolved or (embed.resolved_at and embed.resolved_at > recently)
        ):
            found[url] = resolve(url)
    return found


def allow_frames(response, origins):
    """Open the page's Content-Security-Policy `frame-src` for exactly `origins` (the
    frames of the embeds it shows); every other page keeps `'none'`. Set as a header by
    the view, so the page cache keeps it with the page and a hit carries it too."""
    if origins:
        from csp.constants import HEADER
        from csp.utils import build_policy

        response[HEADER] = build_policy(replace={"frame-src": sorted(origins)})
    return response
