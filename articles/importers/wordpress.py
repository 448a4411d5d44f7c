"""WordPress eXtended RSS (WXR 1.0 to 1.2) import.

The file is read twice with a streaming parser (defusedxml: no entity expansion, no
DTD fetches): the first pass checks the whole file is well-formed WXR and collects the
authors, terms and attachments; the second imports posts one at a time, so memory does
not grow with the archive. The command wraps everything in one transaction.
"""

import datetime
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from articles.models import Article, Image, SlugRedirect
from comments.models import Comment

from .common import (
    Catalogue,
    clean_body,
    headline_from,
    html_to_text,
    one_line,
    set_bylines,
    set_tags,
    truncate_words,
    unique_article_slug,
)


class WXRError(Exception):
    """The file cannot be imported; the message names the problem (and the line)."""


# ---------------------------------------------------------------------------
# Reading the file

_NAMESPACES = [
    (re.compile(r"https?://wordpress\.org/export/1\.\d+/excerpt/?$"), "excerpt"),
    (re.compile(r"https?://wordpress\.org/export/1\.\d+/?$"), "wp"),
    (re.compile(r"http://purl\.org/rss/1\.0/modules/content/?$"), "content"),
    (re.compile(r"http://purl\.org/dc/elements/1\.1/?$"), "dc"),
    (re.compile(r"http://wellformedweb\.org/CommentAPI/?$"), "wfw"),
]


def _name(tag):
    """`{https://wordpress.org/export/1.2/}post_id` → `wp:post_id`, for any WXR version."""
    if tag[:1] != "{":
        return tag
    uri, local = tag[1:].split("}", 1)
    for pattern, prefix in _NAMESPACES:
        if pattern.match(uri):
            return f"{prefix}:{local}"
    return f"{{{uri}}}{local}"


def _text(element):
    return (element.text or "").strip() if element is not None else ""


def _children(element):
    """name → text for simple child elements (the last wins)."""
    return {_name(child.tag): (child.text or "") for child in element}


@dataclass
class Attachment:
    wp_id: int
    title: str = ""
    url: str = ""
    attached_file: str = ""
    alt: str = ""
    caption: str = ""


@dataclass
class Header:
    wxr_version: str = ""
    site_url: str = ""
    authors: dict = field(default_factory=dict)  # login → dict
    categories: dict = field(default_factory=dict)  # term_id → nicename
    attachments: dict = field(default_factory=dict)  # wp_id → Attachment
    items: Counter = field(default_factory=Counter)  # post type → count


def _item(element):
    """An <item> as a plain dict."""
    data = {"categories": [], "meta": {}, "comments": []}
    for child in element:
        name = _name(child.tag)
        if name == "category":
            data["categories"].append(
                (child.get("domain", ""), child.get("nicename", ""), child.text or "")
            )
        elif name == "wp:postmeta":
            meta = _children(child)
            data["meta"][meta.get("wp:meta_key", "")] = meta.get("wp:meta_value", "")
        elif name == "wp:comment":
            comment = _children(child)
            data["comments"].append(comment)
        else:
            data[name] = child.text or ""
    return data


def _describe_parse_error(path, error):
    line, column = getattr(error, "position", (0, 0))
    message = str(error).split(":")[0]
    if message == "no element found" or message.startswith("unclosed token"):
        return f"{path.name}: the file ends too early at line {line}: it looks truncated"
    if message.startswith("not well-formed") or message.startswith("undefined entity"):
        bad_bytes = _invalid_utf8_line(path)
        if bad_bytes:
            return (
                f"{path.name}: invalid byte sequence for UTF-8 at line {bad_bytes[0]} "
                f"(byte {bad_bytes[1]} of that line); is the file really UTF-8?"
            )
    return f"{path.name}: not well-formed XML at line {line}, column {column}: {message}"


def _invalid_utf8_line(path):
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                return number, error.start + 1
    return None


def read_items(path, header=None):
    """Yield every <item> of the file as a dict; fill `header` on the way.

    Raises WXRError for anything that is not a complete, well-formed WXR file."""
    path = Path(path)
    header = header if header is not None else Header()
    try:
        if path.stat().st_size == 0:
            raise WXRError(f"{path.name}: the file is empty")
        handle = path.open("rb")
    except OSError as error:
        raise WXRError(f"{path}: cannot read the file ({error.strerror})") from error
    depth = 0
    with handle:
        try:
            events = iterparse(handle, events=("start", "end"))
            for event, element in events:
                if event == "start":
                    depth += 1
                    if depth == 1 and element.tag != "rss":
                        raise WXRError(
                            f"{path.name}: not a WordPress export: the root element is "
                            f"<{element.tag.rsplit('}', 1)[-1]}>, expected <rss>"
                        )
                    continue
                depth -= 1
                if depth != 2:  # children of <channel> only; items are read whole
                    continue
                name = _name(element.tag)
                if name == "wp:wxr_version":
                    header.wxr_version = _text(element)
                elif name == "wp:base_blog_url" or (name == "link" and not header.site_url):
                    header.site_url = _text(element)
                elif name == "wp:author":
                    author = {k: v.strip() for k, v in _children(element).items()}
                    header.authors[author.get("wp:author_login", "")] = author
                elif name == "wp:category":
                    category = _children(element)
                    header.categories[category.get("wp:term_id", "").strip()] = category.get(
                        "wp:category_nicename", ""
                    ).strip()
                elif name == "item":
                    if not header.wxr_version:
                        raise WXRError(
                            f"{path.name}: not a WordPress export: this RSS feed has no "
                            "<wp:wxr_version> (export it from Tools → Export in WordPress)"
                        )
                    item = _item(element)
                    post_type = item.get("wp:post_type", "").strip() or "post"
                    header.items[post_type] += 1
                    if post_type == "attachment":
                        _collect_attachment(header, item)
                    yield item
                element.clear()
        except ParseError as error:
            raise WXRError(_describe_parse_error(path, error)) from error
        except DefusedXmlException as error:
            raise WXRError(
                f"{path.name}: the file declares XML entities or a DTD ({error}); "
                "refused, as WordPress never writes them"
            ) from error
    if not header.wxr_version:
        raise WXRError(
            f"{path.name}: not a WordPress export: no <wp:wxr_version> in the channel "
            "(export it from Tools → Export in WordPress)"
        )


def _collect_attachment(header, item):
    try:
        wp_id = int(item.get("wp:post_id", "").strip())
    except ValueError:
        return
    header.attachments[wp_id] = Attachment(
        wp_id=wp_id,
        title=one_line(item.get("title", "")),
        url=item.get("wp:attachment_url", "").strip(),
        attached_file=item["meta"].get("_wp_attached_file", "").strip(),
        alt=one_line(item["meta"].get("_wp_attachment_image_alt", "")),
        caption=one_line(item.get("excerpt:encoded", "")),
    )


# ---------------------------------------------------------------------------
# Content: shortcodes and automatic paragraphs

_SHORTCODE = re.compile(
    r"\[(?P<name>caption|wp_caption|gallery|embed|audio|video|playlist|youtube|vimeo|"
    r"tweet|soundcloud|googlemaps|slideshow)\b(?P<attrs>[^\]]*)\]"
    r"(?:(?P<inner>.*?)\[/(?P=name)\])?",
    re.IGNORECASE | re.DOTALL,
)
_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_URL_LINE = re.compile(r"^\s*(https?://[^\s<>\"]+)\s*$", re.MULTILINE)


def _link(url):
    url = url.strip()
    if not re.match(r"https?://[^\s<>\"]+$", url):
        return ""
    return f'\n\n<p><a href="{url}">{url}</a></p>\n\n'


def _shortcode(match):
    name = match.group("name").lower()
    attrs = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4)
        for m in _ATTR.finditer(match.group("attrs") or "")
    }
    inner = match.group("inner") or ""
    if name in {"embed", "youtube", "vimeo", "tweet", "soundcloud"}:
        url = inner.strip() or attrs.get("url", "") or attrs.get("src", "")
        bare = (match.group("attrs") or "").strip()
        if not url and bare.startswith("http"):
            url = bare.split()[0]
        return _link(url)
    if name in {"audio", "video"}:
        url = attrs.get("src") or next(
            (attrs[k] for k in ("mp3", "m4a", "ogg", "wav", "mp4", "webm", "ogv") if k in attrs),
            "",
        )
        return _link(url)
    # Images and galleries: the body holds text only (the lead image is separate), so
    # they are removed whole rather than leaving an orphaned caption.
    return ""


# Shortcodes of plugins the newsroom does not have: an enclosing one keeps its text, one
# with attributes goes. A bare "[sic]" or "[...]" is left alone: it is probably prose.
_ENCLOSING = re.compile(r"\[([a-zA-Z_][\w-]*)(?:\s[^\]]*)?\](.*?)\[/\1\]", re.DOTALL)
_WITH_ATTRS = re.compile(
    r"\[[a-zA-Z_][\w-]*(?:\s+[\w-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\]]+))+\s*/?\]"
)


def render_shortcodes(content):
    content = _SHORTCODE.sub(_shortcode, content)
    content = _ENCLOSING.sub(lambda m: m.group(2), content)
    return _WITH_ATTRS.sub("", content)


_ALLBLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|"
    r"form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|"
    r"article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)


def wpautop(text):
    """WordPress's automatic paragraphs (wp-includes/formatting.php), ported: double line
    breaks become paragraphs, single ones <br>, block-level HTML left alone."""
    if not text.strip():
        return ""
    pre_tags = {}
    text = text + "\n"
    if "<pre" in text:
        parts = text.split("</pre>")
        last = parts.pop()
        text = ""
        for index, part in enumerate(parts):
            start = part.find("<pre")
            if start == -1:
                text += part
                continue
            key = f"<pre wp-pre-tag-{index}></pre>"
            pre_tags[key] = part[start:] + "</pre>"
            text += part[:start] + key
        text += last
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = re.sub(r"(<" + _ALLBLOCKS + r"[\s/>])", r"\n\n\1", text)
    text = re.sub(r"(</" + _ALLBLOCKS + r">)", r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Newlines inside a tag are not paragraph breaks.
    text = re.sub(r"<[^>]*>", lambda m: m.group(0).replace("\n", " "), text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join("<p>" + p.strip("\n") + "</p>\n" for p in paragraphs)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.IGNORECASE)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)", r"\1", text)
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(
        r"<(script|style|svg|math).*?</\1>",
        lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"),
        text,
        flags=re.DOTALL,
    )
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = text.replace("<WPPreserveNewline />", "\n")
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for key, value in pre_tags.items():
        text = text.replace(key, value)
    return text


def convert_content(content):
    """WordPress post content → HTML for the sanitiser."""
    content = (content or "").replace("\r\n", "\n")
    content = re.sub(r"<!--\s*(?:more|nextpage|noteaser)\b.*?-->", "", content)
    content = render_shortcodes(content)
    if "<!-- wp:" not in content:
        # Classic-editor content (the block editor stores its own <p> tags), and bare
        # URLs on their own line, which WordPress turns into embeds.
        content = _URL_LINE.sub(lambda m: _link(m.group(1)), content)
        content = wpautop(content)
    content = re.sub(r"<!--.*?-->", "", content, flags=re.DOTALL)
    return clean_body(content)


# ---------------------------------------------------------------------------
# Import

POST_STATUS = {
    "publish": Article.Status.PUBLISHED,
    "future": Article.Status.PUBLISHED,
    "draft": Article.Status.DRAFT,
    "pending": Article.Status.REVIEW,
    "private": Article.Status.DRAFT,
}
COMMENT_STATUS = {
    "1": Comment.Status.APPROVED,
    "approve": Comment.Status.APPROVED,
    "0": Comment.Status.PENDING,
    "hold": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.REJECTED,
    "post-trashed": Comment.Status.REJECTED,
}
PING_TYPES = {"pingback", "trackback"}
# Characters WordPress's sanitize_user() allows in a login.
_LOGIN_JUNK = re.compile(r"[^a-zA-Z0-9 _.\-@]")


def parse_date(value, tz):
    """A WXR date ('YYYY-MM-DD HH:MM:SS') in `tz`, or None for WordPress's zero date."""
    value = (value or "").strip()
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        naive = datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return naive.replace(tzinfo=tz)


def item_date(item, prefix, site_tz):
    return parse_date(item.get(f"wp:{prefix}_gmt"), datetime.UTC) or parse_date(
        item.get(f"wp:{prefix}"), site_tz
    )


def old_paths(item, wp_id):
    """Every address the post answered at on the old site, as request paths."""
    paths = {f"/?p={wp_id}"}
    # The guid is not used: it is an identifier, often copied between posts.
    for url in (item.get("link", ""),):
        parts = urlsplit(url.strip())
        if not parts.path and not parts.query:
            continue
        if parts.query and not re.fullmatch(r"(?:p|page_id)=\d+", parts.query):
            continue
        path = unquote(parts.path or "/")
        if parts.query:
            path = f"{path}?{parts.query}"
        if path != "/" and len(path) <= SlugRedirect._meta.get_field("old_path").max_length:
            paths.add(path)
    return sorted(paths)


@dataclass
class Summary:
    articles: Counter = field(default_factory=Counter)  # created / updated / unchanged
    statuses: Counter = field(default_factory=Counter)  # published / scheduled / draft / review
    comments: Counter = field(default_factory=Counter)
    comment_statuses: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    redirects: Counter = field(default_factory=Counter)
    images: Counter = field(default_factory=Counter)
    missing_media: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    article_ids: set = field(default_factory=set)
    changed_article_ids: set = field(default_factory=set)

    def rows(self):
        rows = [("Articles", None)]
        rows += [(f"{what}", self.articles[what]) for what in ("created", "updated", "unchanged")]
        rows += [
            (f"  {status}", self.statuses[status])
            for status in ("published", "scheduled", "draft", "review")
        ]
        rows += [("Bylines and terms", None)]
        rows += [
            (f"{what} created", self.created[what]) for what in ("authors", "sections", "tags")
        ]
        rows += [("Comments", None)]
        rows += [(f"{what}", self.comments[what]) for what in ("created", "updated", "unchanged")]
        rows += [
            (f"  {status}", self.comment_statuses[status])
            for status in ("approved", "pending", "spam", "rejected")
        ]
        rows += [("Old links (301)", None)]
        rows += [(f"{what}", self.redirects[what]) for what in ("created", "unchanged")]
        if self.redirects["conflict"]:
            rows.append(("taken by another article", self.redirects["conflict"]))
        rows += [("Featured images", None)]
        rows += [(f"{what}", self.images[what]) for what in ("imported", "kept", "missing")]
        if self.images["unusable"]:
            rows.append(("unusable", self.images["unusable"]))
        rows += [("Skipped", None)]
        rows += [(label, count) for label, count in sorted(self.skipped.items())]
        if not self.skipped:
            rows.append(("nothing", 0))
        return rows


class WordPressImporter:
    def __init__(self, path, *, media_dir=None, site_timezone="UTC", progress=None):
        self.path = Path(path)
        self.media_dir = Path(media_dir) if media_dir else None
        self.site_tz = zoneinfo.ZoneInfo(site_timezone)
        self.progress = progress or (lambda total: _NoProgress())
        self.summary = Summary()
        self.catalogue = Catalogue()
        self.header = Header()
        self.images = {}
        self.current = None  # the WordPress post being imported, for error messages

    def run(self):
        """Check the whole file, then import it. Call inside a transaction."""
        for _ in read_items(self.path, self.header):
            continue
        posts = self.header.items.get("post", 0)
        bar = self.progress(posts)
        with transaction.atomic():
            for item in read_items(self.path, Header()):
                post_type = item.get("wp:post_type", "").strip() or "post"
                if post_type != "post":
                    self.summary.skipped[f"{post_type} items"] += 1
                    if item["comments"]:
                        self.summary.skipped[f"comments on {post_type} items"] += len(
                            item["comments"]
                        )
                    continue
                self.current = item.get("wp:post_id", "").strip()
                self.import_post(item)
                bar.update(1)
        bar.close()
        self.summary.created.update(self.catalogue.created)
        return self.summary

    # -- posts -------------------------------------------------------------

    def import_post(self, item):
        title = one_line(item.get("title", ""))
        try:
            wp_id = int(item.get("wp:post_id", "").strip())
        except ValueError as error:
            raise WXRError(
                f"{self.path.name}: the post {title!r} has no valid <wp:post_id>"
            ) from error
        wp_status = item.get("wp:status", "").strip()
        if wp_status not in POST_STATUS:
            self.summary.skipped[f"posts with status {wp_status or 'none'}"] += 1
            return
        status = POST_STATUS[wp_status]
        if item.get("wp:post_password", "").strip() and status == Article.Status.PUBLISHED:
            # A newsroom has no password-protected pages: keep it off the public site.
            status = Article.Status.DRAFT
            self.summary.notes.append(
                f"post {wp_id} ({title or 'untitled'}) was password-protected: imported as a draft"
            )
        body = convert_content(item.get("content:encoded", ""))
        published_at = item_date(item, "post_date", self.site_tz)
        created_at = published_at or datetime.datetime.now(datetime.UTC)
        if status != Article.Status.PUBLISHED:
            published_at = None
        headline = headline_from(title, html_to_text(body), f"Untitled (WordPress post {wp_id})")

        article = Article.objects.filter(wp_id=wp_id).first()
        slug_base = slugify(unquote(item.get("wp:post_name", "").strip())) or slugify(headline)
        slug = unique_article_slug(
            slug_base or f"post-{wp_id}", suffix=wp_id, exclude_pk=article.pk if article else None
        )
        section, tags = self.terms(item)
        values = {
            "headline": headline,
            "slug": slug,
            "standfirst": html_to_text(item.get("excerpt:encoded", "")),
            "body": body,
            "section": section,
            "status": status,
            "published_at": published_at,
            "created_at": created_at,
            "featured": item.get("wp:is_sticky", "").strip() == "1",
            "comments_enabled": item.get("wp:comment_status", "open").strip() == "open",
        }
        created = article is None
        if created:
            article = Article(wp_id=wp_id, **values)
            article.lead_image = self.lead_image(item, None)
            article.save()
            changed = True
        else:
            changed = False
            for name, value in values.items():
                current = getattr(article, name)
                if current != value:
                    setattr(article, name, value)
                    changed = True
            if article.lead_image_id is None:
                image = self.lead_image(item, None)
                if image is not None:
                    article.lead_image = image
                    changed = True
            else:
                self.lead_image(item, article.lead_image)
            if changed:
                article.save()
        changed |= set_bylines(article, [self.author(item.get("dc:creator", ""))])
        changed |= set_tags(article, tags)
        self.summary.articles["created" if created else "updated" if changed else "unchanged"] += 1
        if changed:
            self.summary.changed_article_ids.add(article.pk)
        self.summary.article_ids.add(article.pk)
        label = status if not article.is_scheduled else "scheduled"
        self.summary.statuses[label] += 1
        self.redirects(item, wp_id, article)
        self.import_comments(item, article)

    def author(self, login):
        login = login.strip()
        known = self.header.authors
        if login not in known:
            cleaned = _LOGIN_JUNK.sub("", login).strip()
            login = cleaned if cleaned in known else login
        data = known.get(login)
        if data is None:
            return self.catalogue.author(login or "Staff", slug_hint=login or "staff")
        name = data.get("wp:author_display_name") or " ".join(
            part
            for part in (data.get("wp:author_first_name"), data.get("wp:author_last_name"))
            if part
        )
        return self.catalogue.author(
            one_line(name) or login, slug_hint=login, email=data.get("wp:author_email", "")
        )

    def terms(self, item):
        """The section (the primary category, or the first real one) and the tags (the
        post's tags and its other categories)."""
        categories = [
            (nicename, one_line(name))
            for domain, nicename, name in item["categories"]
            if domain == "category" and nicename != "uncategorized"
        ]
        primary = self.header.categories.get(
            item["meta"].get("_yoast_wpseo_primary_category", "").strip()
        )
        chosen = next((c for c in categories if c[0] == primary), None) or (
            categories[0] if categories else None
        )
        section = (
            self.catalogue.section(chosen[1], slug_hint=unquote(chosen[0])) if chosen else None
        )
        tags = []
        for domain, nicename, name in item["categories"]:
            if domain == "post_tag" or (
                domain == "category"
                and nicename != "uncategorized"
                and (nicename, one_line(name)) != chosen
            ):
                tag = self.catalogue.tag(one_line(name), slug_hint=unquote(nicename))
                if tag is not None and tag not in tags:
                    tags.append(tag)
        return section, tags

    def redirects(self, item, wp_id, article):
        current = article.get_absolute_url()
        for path in old_paths(item, wp_id):
            if path == current:
                continue
            existing = SlugRedirect.objects.filter(old_path=path).first()
            if existing is None:
                SlugRedirect.objects.create(old_path=path, article=article)
                self.summary.redirects["created"] += 1
            elif existing.article_id == article.pk:
                self.summary.redirects["unchanged"] += 1
            else:
                self.summary.redirects["conflict"] += 1
                self.summary.notes.append(
                    f"old link {path} already leads to article {existing.article_id}; "
                    f"not pointed at WordPress post {wp_id}"
                )

    # -- featured image ------------------------------------------------------

    def lead_image(self, item, current):
        thumbnail = item["meta"].get("_thumbnail_id", "").strip()
        if not thumbnail.isdigit() or int(thumbnail) == 0:
            return None
        if current is not None:
            self.summary.images["kept"] += 1
            return current
        attachment = self.header.attachments.get(int(thumbnail))
        if attachment is None:
            self.summary.images["missing"] += 1
            self.summary.missing_media.append(f"attachment {thumbnail} (not in the export)")
            return None
        if int(thumbnail) in self.images:
            self.summary.images["imported"] += 1
            return self.images[int(thumbnail)]
        found = self.find_media(attachment)
        if found is None:
            self.summary.images["missing"] += 1
            self.summary.missing_media.append(
                f"{self.media_path(attachment) or attachment.url} (attachment {attachment.wp_id})"
            )
            return None
        image = Image(
            alt_text=truncate_words(attachment.alt or attachment.title or found.stem, 300),
            caption=truncate_words(attachment.caption, 500),
        )
        try:
            with transaction.atomic(), found.open("rb") as handle:
                image.file.save(found.name, File(handle), save=False)
                image.full_clean(exclude=["file"])
                image.save()
        except (ValidationError, OSError, ValueError) as error:
            self.summary.images["unusable"] += 1
            self.summary.notes.append(f"featured image {found} could not be used: {error}")
            return None
        self.images[int(thumbnail)] = image
        self.summary.images["imported"] += 1
        return image

    def media_path(self, attachment):
        """The file's path inside the uploads folder, e.g. 2012/03/photo.jpg."""
        relative = attachment.attached_file
        if not relative and attachment.url:
            url_path = unquote(urlsplit(attachment.url).path)
            relative = url_path.split("/uploads/", 1)[-1].lstrip("/")
        return relative

    def find_media(self, attachment):
        relative = self.media_path(attachment)
        if not relative or self.media_dir is None:
            return None
        root = self.media_dir.resolve()
        for candidate in (root / relative, root / Path(relative).name):
            candidate = candidate.resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None

    # -- comments ------------------------------------------------------------

    def import_comments(self, item, article):
        comments = []
        for data in item["comments"]:
            kind = data.get("wp:comment_type", "").strip()
            if kind in PING_TYPES:
                self.summary.skipped[f"{kind}s"] += 1
                continue
            try:
                data["id"] = int(data.get("wp:comment_id", "").strip())
                data["parent"] = int(data.get("wp:comment_parent", "0").strip() or 0)
            except ValueError as error:
                raise WXRError(
                    f"{self.path.name}: a comment on post {article.wp_id} has no valid "
                    "<wp:comment_id>"
                ) from error
            comments.append(data)
        by_id = {c["id"]: c for c in comments}

        def depth(comment, seen=()):
            parent = by_id.get(comment["parent"])
            if parent is None or parent["id"] in seen:
                return 0
            return 1 + depth(parent, (*seen, comment["id"]))

        existing = {c.wp_id: c for c in Comment.objects.filter(wp_id__in=list(by_id))}
        saved = {}
        # Parents before their replies: the database checks a reply's parent exists.
        for data in sorted(comments, key=lambda c: (depth(c), c["id"])):
            self.import_comment(data, article, existing, saved)

    def import_comment(self, data, article, existing, saved):
        approved = data.get("wp:comment_approved", "").strip()
        status = COMMENT_STATUS.get(approved)
        if status is None:
            self.summary.skipped[f"comments with status {approved or 'none'}"] += 1
            return
        parent = saved.get(data["parent"])
        email = data.get("wp:comment_author_email", "").strip()
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        if len(email) > Comment._meta.get_field("email").max_length:
            email = ""
        values = {
            "article_id": article.pk,
            "parent_id": parent.pk if parent else None,
            "name": truncate_words(one_line(data.get("wp:comment_author", "")), 100) or "Anonymous",
            "email": email,
            "body": html_to_text(data.get("wp:comment_content", "")) or "(no text)",
            "status": status,
            "created_at": item_date(data, "comment_date", self.site_tz)
            or article.published_at
            or article.created_at,
            "moderation_reason": "Imported from WordPress.",
        }
        comment = existing.get(data["id"])
        if comment is None:
            comment = Comment(wp_id=data["id"], **values)
            comment.save()
            self.summary.comments["created"] += 1
        else:
            changed = [name for name, value in values.items() if getattr(comment, name) != value]
            if changed:
                for name in changed:
                    setattr(comment, name, values[name])
                comment.save()
                self.summary.comments["updated"] += 1
            else:
                self.summary.comments["unchanged"] += 1
        saved[data["id"]] = comment
        self.summary.comment_statuses[status] += 1


class _NoProgress:
    def update(self, n):
        pass

    def close(self):
        pass


def import_wordpress(path, **options):
    """Import a WXR file; returns the Summary. Raises WXRError, leaving the database as
    it was."""
    importer = WordPressImporter(path, **options)
    with transaction.atomic():
        return importer.run()


__all__ = [
    "WXRError",
    "WordPressImporter",
    "convert_content",
    "import_wordpress",
    "read_items",
    "render_shortcodes",
    "wpautop",
]
