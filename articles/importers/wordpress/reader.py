"""Reading a WordPress eXtended RSS file (WXR 1.0 to 1.2) into plain dicts.

The file is read with a streaming parser (defusedxml: no entity expansion, no DTD
fetches), one <item> at a time, so memory does not grow with the archive.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ..common import one_line


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
