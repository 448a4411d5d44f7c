"""What search engines and social networks read about a page: titles, descriptions,
canonical addresses, Open Graph / Twitter cards and schema.org `NewsArticle` JSON-LD.

Everything is plain data (dicts and strings); templates escape it, and JSON-LD goes
through `reader.json_ld`, which escapes like Django's `json_script`.
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.text import Truncator

UPDATED_AFTER = datetime.timedelta(minutes=10)
DESCRIPTION_CHARS = 160


def absolute(url):
    """A site-relative address made absolute against NEWSROOM_SITE_URL, so cached pages
    name the same canonical address whichever host served them."""
    if not url or url.startswith(("http://", "https://")):
        return url or ""
    if url.startswith("//"):
        return "https:" + url
    return settings.NEWSROOM_SITE_URL + ("" if url.startswith("/") else "/") + url


class SiteRequest:
    """A request as if it had come to NEWSROOM_SITE_URL, for the frameworks that build
    absolute addresses from the request's host and scheme (syndication, sitemaps): a
    feed or sitemap fetched through another host or port still names the site's own."""

    def __init__(self, request):
        site = urlsplit(settings.NEWSROOM_SITE_URL)
        self._request = request
        self._host = site.netloc
        self.scheme = site.scheme

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_host(self):
        return self._host

    def is_secure(self):
        return self.scheme == "https"

    def build_absolute_uri(self, location=None):
        return absolute(location if location is not None else self._request.get_full_path())


def rendition_url(image, name):
    """The address of one rendition (contract 4), falling back to the original file."""
    if image is None:
        return ""
    method = getattr(image, "rendition_url", None)
    if callable(method):
        return method(name) or ""
    entry = (image.renditions or {}).get(name) or {}
    if entry.get("url"):
        return entry["url"]
    return image.file.url if image.file else ""


def rendition_size(image, name):
    entry = (getattr(image, "renditions", None) or {}).get(name) or {}
    if entry.get("width") and entry.get("height"):
        return entry["width"], entry["height"]
    return getattr(image, "width", 0) or None, getattr(image, "height", 0) or None


def rendition_bytes(image, name):
    """The length in bytes of one rendition (recorded when it was made), falling back to
    the file in storage for renditions made before lengths were recorded."""
    entry = (getattr(image, "renditions", None) or {}).get(name) or {}
    if entry.get("bytes"):
        return entry["bytes"]
    try:
        if entry.get("path"):
            return image.file.storage.size(entry["path"])
        return image.file.size if image.file else 0
    except (OSError, ValueError):
        return 0


def srcset(image):
    if image is None:
        return ""
    value = getattr(image, "srcset", None)
    if isinstance(value, str):
        return value
    widths = sorted(
        (entry["width"], entry["url"])
        for name, entry in (image.renditions or {}).items()
        if name.startswith("w") and entry.get("url") and entry.get("width")
    )
    return ", ".join(f"{url} {width}w" for width, url in widths)


def material_update(article):
    """When the story last changed materially, or None. A material change is one the
    newsroom tells readers about (a correction, clarification or update), so fixing a
    typo does not put an 'Updated' time on the page. Uses prefetched corrections."""
    times = [c.created_at for c in article.corrections.all()]
    if not times or not article.published_at:
        return None
    latest = max(times)
    return latest if latest - article.published_at > UPDATED_AFTER else None


def description(article):
    text = article.seo_description or article.standfirst or ""
    return Truncator(" ".join(text.split())).chars(DESCRIPTION_CHARS)


def article_meta(article, tags=()):
    image = article.lead_image
    return {
        "title": article.seo_title or article.headline,
        "description": description(article),
        "canonical": absolute(article.get_absolute_url()),
        "image": absolute(rendition_url(image, "16x9")) if image else "",
        "image_alt": image.alt_text if image else "",
        "keywords": ", ".join(tag.name for tag in tags),
    }


def publisher():
    return {
        "@type": "NewsMediaOrganization",
        "name": settings.NEWSROOM_SITE_NAME,
        "url": settings.NEWSROOM_SITE_URL + "/",
        "logo": {
            "@type": "ImageObject",
            # The plain static address, not the hashed one: structured data is made when
            # an article is saved, in processes (commands, workers) that may have no
            # collected manifest; the site serves both names.
            "url": absolute(settings.STATIC_URL + settings.NEWSROOM_PUBLISHER_LOGO),
            "width": 600,
            "height": 60,
        },
    }


def _iso(value):
    return value.isoformat() if value else None


#: How many of a live article's latest updates its structured data lists.
LIVE_BLOG_UPDATES = 20


def news_article(article, tags=(), updates=None):
    """schema.org NewsArticle for Google News and other readers of structured data; a
    LiveBlogPosting for live coverage, with its latest published `updates`."""
    canonical = absolute(article.get_absolute_url())
    modified = max(filter(None, [article.published_at, article.updated_at]), default=None)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "url": canonical,
        "headline": Truncator(article.headline).chars(110),
        "description": description(article),
        "datePublished": _iso(article.published_at),
        "dateModified": _iso(modified),
        "author": [
            {"@type": "Person", "name": author.name, "url": absolute(author.get_absolute_url())}
            for author in article.byline_authors
        ],
        "publisher": publisher(),
        "inLanguage": settings.NEWSROOM_LANGUAGE,
        "isAccessibleForFree": True,
    }
    images = []
    if article.lead_image:
        images = [
            absolute(rendition_url(article.lead_image, name)) for name in ("16x9", "4x3", "1x1")
        ]
    # The body's own pictures, listed when it was saved (articles/body.py).
    images += [absolute(url) for url in (article.body_media or {}).get("images", [])]
    if images:
        data["image"] = list(dict.fromkeys(images))
    if article.series_id:
        data["isPartOf"] = {
            "@type": "CreativeWorkSeries",
            "name": article.series.title,
            "url": absolute(article.series.get_absolute_url()),
        }
    if article.section:
        data["articleSection"] = article.section.name
    if tags:
        data["keywords"] = [tag.name for tag in tags]
    if article.word_count:
        data["wordCount"] = article.word_count
    corrections = list(article.corrections.all())
    if corrections:
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": correction.text,
                "datePublished": _iso(correction.created_at),
            }
            for correction in corrections
        ]
    if article.kind == "live":
        data.update(live_blog(article, updates or ()))
    return data


def live_blog(article, updates):
    """What makes a NewsArticle a LiveBlogPosting: the coverage times and the latest
    updates as BlogPostings (the caller gives published updates, newest first)."""
    canonical = absolute(article.get_absolute_url())
    data = {
        "@type": "LiveBlogPosting",
        "coverageStartTime": _iso(article.published_at),
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "@id": f"{canonical}#update-{update.pk}",
                "url": f"{canonical}#update-{update.pk}",
                "headline": Truncator(update.title or plain_text(update.body_html)).chars(110),
                "articleBody": plain_text(update.body_html),
                "datePublished": _iso(update.published_at),
                "dateModified": _iso(max(update.published_at, update.updated_at)),
                **(
                    {"author": {"@type": "Person", "name": update.author.name}}
                    if update.author_id
                    else {}
                ),
            }
            for update in list(updates)[:LIVE_BLOG_UPDATES]
        ],
    }
    if article.coverage_ends_at:
        data["coverageEndTime"] = _iso(article.coverage_ends_at)
    return data


def plain_text(html):
    return " ".join(strip_tags(html or "").split())


def website():
    """On the home page: the site, and how to search it."""
    from django.urls import reverse

    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": settings.NEWSROOM_SITE_NAME,
        "url": settings.NEWSROOM_SITE_URL + "/",
        "potentialAction": {
            "@type": "SearchAction",
            "target": absolute(reverse("articles:search")) + "?q={search_term_string}",
            "query-input": "required name=search_term_string",
        },
        "publisher": publisher(),
    }
