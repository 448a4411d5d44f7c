"""Reading a WordPress eXtended RSS file (WXR 1.0 to 1.2) into plain dicts.

The file is read with a streaming parser (defusedxml: no entity expansion, no DTD
fetches), one <item> at a time, so memory does not grow with the archive. Real exports
from WordPress 2.1 to 6.x differ (WXR 1.0 to 1.2, or no version at all before 2.6) and
some are not quite XML; the faults WordPress itself is known to write are mended in a
temporary copy, and the summary says so. Anything else is a WXRError naming the line.
"""

import datetime
import email.utils
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ..common import one_line


class WXRError(Exception):
    """The file cannot be imported; the message names the problem (and the line)."""


# ---------------------------------------------------------------------------
# Names: every element is read by its full namespaced name. WordPress has written its
# own namespace as http://wordpress.org/export/1.0/, 1.1/ and 1.2/ (and https:// on
# WordPress.com); a file uses one of them, the one bound to the `wp` prefix on <rss>.
# Elements of any other namespace keep their full name, so a plugin's <x:post_id> or a
# <wp:author> redeclared to another namespace is never taken for WordPress's own.

WXR_NAMESPACE = re.compile(r"https?://wordpress\.org/export/1\.\d+/$")
WXR_EXCERPT_NAMESPACE = re.compile(r"https?://wordpress\.org/export/1\.\d+/excerpt/$")
KNOWN_NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://wellformedweb.org/CommentAPI/": "wfw",
}


class Names:
    """Full names (`{uri}local`) → the short names the importer uses (`wp:post_id`)."""

    def __init__(self, declared):
        self.prefixes = dict(KNOWN_NAMESPACES)
        wxr = [uri for uri in declared.values() if WXR_NAMESPACE.match(uri)]
        self.wxr = declared.get("wp") if WXR_NAMESPACE.match(declared.get("wp", "")) else None
        self.wxr = self.wxr or (wxr[0] if wxr else None)
        if self.wxr:
            self.prefixes[self.wxr] = "wp"
            excerpt = declared.get("excerpt", "")
            self.prefixes[
                excerpt if WXR_EXCERPT_NAMESPACE.match(excerpt) else self.wxr + "excerpt/"
            ] = "excerpt"

    def __call__(self, tag):
        if tag[:1] != "{":
            return tag
        uri, local = tag[1:].split("}", 1)
        prefix = self.prefixes.get(uri)
        return f"{prefix}:{local}" if prefix else tag


def _text(element):
    return (element.text or "").strip() if element is not None else ""


def _content(element):
    """The element's text; for an exporter that wrote HTML as markup rather than as text
    (no CDATA, no escaping), that markup as it was written."""
    if len(element) == 0:
        return element.text or ""
    return (element.text or "") + "".join(
        ElementTree.tostring(child, encoding="unicode") for child in element
    )


def _children(element, names):
    """name → text for simple child elements (the first wins, as in WordPress's parser)."""
    values = {}
    for child in element:
        values.setdefault(names(child.tag), child.text or "")
    return values


@dataclass
class Attachment:
    wp_id: int
    title: str = ""
    url: str = ""
    attached_file: str = ""
    alt: str = ""
    caption: str = ""
    parent: int = 0  # the post it was uploaded to ([gallery] without ids shows those)
    order: int = 0  # wp:menu_order, the order WordPress's gallery shows them in


@dataclass
class Header:
    wxr_version: str = ""
    site_url: str = ""
    authors: dict = field(default_factory=dict)  # login → dict
    categories: dict = field(default_factory=dict)  # term_id → nicename
    attachments: dict = field(default_factory=dict)  # wp_id → Attachment
    items: Counter = field(default_factory=Counter)  # post type → count


def _item(element, names, number):
    """An <item> as a plain dict; `number` is its place in the file (1 for the first)."""
    data = {"categories": [], "meta": {}, "comments": [], "number": number}
    for child in element:
        name = names(child.tag)
        if name == "category":
            data["categories"].append(
                (child.get("domain", ""), child.get("nicename", ""), child.text or "")
            )
        elif name == "wp:postmeta":
            meta = _children(child, names)
            data["meta"].setdefault(meta.get("wp:meta_key", ""), meta.get("wp:meta_value", ""))
        elif name == "wp:comment":
            data["comments"].append(_children(child, names))
        elif name not in data:
            data[name] = _content(child)
    return data


def describe(item):
    """How an error or a note names an item: its place in the file, post id and title."""
    post_id = item.get("wp:post_id", "").strip()
    title = one_line(item.get("title", ""))[:80]
    parts = [f"item {item['number']}"]
    if post_id:
        parts.append(f"post {post_id}")
    return " ".join(parts) + (f" ({title!r})" if title else "")


def _describe_parse_error(name, path, error):
    line, column = getattr(error, "position", (0, 0))
    message = str(error).split(":")[0]
    if message == "no element found" or message.startswith("unclosed token"):
        return f"{name}: the file ends too early at line {line}: it looks truncated"
    if message.startswith("not well-formed") or message.startswith("undefined entity"):
        bad_bytes = _invalid_utf8_line(path)
        if bad_bytes:
            return (
                f"{name}: invalid byte sequence for UTF-8 at line {bad_bytes[0]} "
                f"(byte {bad_bytes[1]} of that line); is the file really UTF-8?"
            )
    return f"{name}: not well-formed XML at line {line}, column {column}: {message}"


def _invalid_utf8_line(path):
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                return number, error.start + 1
    return None


# ---------------------------------------------------------------------------
# Repairs: what real exports get wrong, mended in a copy (line numbers unchanged)

_UNBOUND_PREFIX = re.compile(rb"<(\w[\w.-]*):")
# WordPress before 3.1 wrote "]]>" inside CDATA unescaped; a value is always one CDATA
# section right after its start tag, so the section ends at "]]></same-tag>".
_CDATA_VALUE = re.compile(rb"(<([\w:.-]+)(?:\s[^>]*)?><!\[CDATA\[)(.*?)(\]\]></\2>)", re.DOTALL)
# Characters XML 1.0 forbids (C0 controls other than tab, newline and return), which
# posts pasted from word processors carry.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _line(path, number):
    with path.open("rb") as handle:
        for index, raw in enumerate(handle, start=1):
            if index == number:
                return raw
    return b""


def _repair(path, error, done):
    """(kind, repaired bytes) for a parse error a real WordPress export is known to
    make, or None when the error is not one of those (or was already repaired)."""
    line = getattr(error, "position", (0, 0))[0]
    message = str(error)
    raw = _line(path, line)
    if message.startswith("unbound prefix") and "prefix" not in done:
        # WordPress.com writes <atom:link> without declaring the atom namespace. Declare
        # every prefix the file uses but <rss> does not, so the elements stay foreign.
        data = path.read_bytes()
        root = data.find(b"<rss")
        end = data.find(b">", root)
        if root == -1 or end == -1:
            return None
        declared = set(re.findall(rb"xmlns:([\w.-]+)\s*=", data[root:end]))
        used = set(_UNBOUND_PREFIX.findall(data)) - declared - {b"xml"}
        if not used:
            return None
        declarations = b"".join(
            b' xmlns:%s="urn:newsroom:undeclared:%s"' % (prefix, prefix) for prefix in sorted(used)
        )
        return "prefix", data[: root + 4] + declarations + data[root + 4 :]
    invalid = message.startswith("not well-formed (invalid token)")
    if invalid and "control" not in done and _CONTROL.search(raw):
        return "control", _CONTROL.sub(b"", path.read_bytes())
    if "cdata" not in done and message.split(":")[0] in _CDATA_SYMPTOMS:
        data = path.read_bytes()

        def escape(match):
            inner = match.group(3).replace(b"]]>", b"]]]]><![CDATA[>")
            return match.group(1) + inner + match.group(4)

        repaired = _CDATA_VALUE.sub(escape, data)
        return ("cdata", repaired) if repaired != data else None
    return None


# What a CDATA section cut short by a "]]>" inside it leaves the parser to say.
_CDATA_SYMPTOMS = {
    "not well-formed (invalid token)",
    "mismatched tag",
    "junk after document element",
}


REPAIR_NOTES = {
    "prefix": "the file uses namespace prefixes it never declares (WordPress.com's "
    "<atom:link>); they were read as foreign elements",
    "control": "the file holds control characters XML does not allow (pasted from a word "
    "processor); they were left out",
    "cdata": "the file holds ']]>' inside CDATA sections, as WordPress before 3.1 wrote "
    "it; those sections were read as WordPress meant them",
}


# ---------------------------------------------------------------------------
# The file


class WXRFile:
    """A WXR file, checked whole by `check()` (which mends the known faults of real
    exports in a temporary copy), then read one item at a time by `items()`."""

    def __init__(self, path):
        self.path = Path(path)
        self.source = self.path
        self.header = Header()
        self.repairs = []
        self._copy = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._copy is not None:
            self._copy.unlink(missing_ok=True)

    def check(self):
        """Read the whole file once, filling `header`. Raises WXRError."""
        while True:
            header = Header()
            try:
                for _ in self._read(header):
                    pass
            except ParseError as error:
                repair = _repair(self.source, error, self.repairs)
                if repair is None:
                    raise WXRError(
                        _describe_parse_error(self.path.name, self.source, error)
                    ) from error
                kind, data = repair
                self.repairs.append(kind)
                self._write_copy(data)
                continue
            self.header = header
            return header

    def items(self):
        """Every <item> of the (checked) file as a dict."""
        try:
            yield from self._read(Header())
        except ParseError as error:  # the file changed since check()
            raise WXRError(_describe_parse_error(self.path.name, self.source, error)) from error

    def _write_copy(self, data):
        if self._copy is None:
            handle, name = tempfile.mkstemp(prefix="wxr-", suffix=".xml")
            os.close(handle)
            self._copy = Path(name)
        self._copy.write_bytes(data)
        self.source = self._copy

    def _read(self, header):
        name = self.path.name
        try:
            if self.path.stat().st_size == 0:
                raise WXRError(f"{name}: the file is empty")
            handle = self.source.open("rb")
        except OSError as error:
            raise WXRError(f"{self.path}: cannot read the file ({error.strerror})") from error
        depth = 0
        declared = {}
        names = None
        number = 0
        with handle:
            try:
                for event, element in iterparse(handle, events=("start-ns", "start", "end")):
                    if event == "start-ns":
                        if depth == 0:
                            prefix, uri = element
                            declared[prefix] = uri
                        continue
                    if event == "start":
                        depth += 1
                        if depth == 1:
                            names = Names(declared)
                            if element.tag != "rss":
                                raise WXRError(
                                    f"{name}: not a WordPress export: the root element is "
                                    f"<{element.tag.rsplit('}', 1)[-1]}>, expected <rss>"
                                )
                        continue
                    depth -= 1
                    if depth != 2:  # children of <channel> only; items are read whole
                        continue
                    tag = names(element.tag)
                    if tag == "wp:wxr_version":
                        header.wxr_version = _text(element)
                    elif tag == "wp:base_blog_url" or (tag == "link" and not header.site_url):
                        header.site_url = _text(element)
                    elif tag == "wp:author":
                        author = {k: v.strip() for k, v in _children(element, names).items()}
                        header.authors.setdefault(author.get("wp:author_login", ""), author)
                    elif tag == "wp:category":
                        category = _children(element, names)
                        header.categories.setdefault(
                            category.get("wp:term_id", "").strip(),
                            category.get("wp:category_nicename", "").strip(),
                        )
                    elif tag == "item":
                        if names.wxr is None:
                            raise WXRError(_NOT_WXR.format(name=name))
                        number += 1
                        item = _item(element, names, number)
                        post_type = item.get("wp:post_type", "").strip() or "post"
                        header.items[post_type] += 1
                        if post_type == "attachment":
                            _collect_attachment(header, item)
                        yield item
                    element.clear()
            except DefusedXmlException as error:
                raise WXRError(
                    f"{name}: the file declares XML entities or a DTD ({error}); "
                    "refused, as WordPress never writes them"
                ) from error
        if names is None or names.wxr is None:
            raise WXRError(_NOT_WXR.format(name=name))


# WordPress 2.1 to 2.5 wrote no <wp:wxr_version>: the namespace is what marks a WXR file.
_NOT_WXR = (
    "{name}: not a WordPress export: this RSS feed has no WordPress export namespace "
    "and no <wp:wxr_version> (export it from Tools → Export in WordPress)"
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
        parent=_number(item.get("wp:post_parent")),
        order=_number(item.get("wp:menu_order")),
    )


def _number(value):
    value = (value or "").strip()
    return int(value) if value.isdecimal() else 0


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


def pub_date(item):
    """The item's RSS <pubDate> (RFC 822), or None when it is missing or not a real date
    (WordPress writes "Wed, 30 Nov -0001" for posts that never had one)."""
    value = item.get("pubDate", "").strip()
    year = re.search(r"\s(\d{4})\s", value)
    if not year:  # "-0001", which the e-mail date parser would read as another date
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.year != int(year.group(1)) or parsed.year < 1970:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)
