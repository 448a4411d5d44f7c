"""The article body: what the rich-text editor offers, and the one sanitiser behind it.

The editor's extensions and the sanitiser's allowlist come from the same
configuration, so what an editor can make is exactly what survives a save. The
story nodes (settings.DJANGO_PROSE_EDITOR_EXTENSIONS, static/js/prose-story.js) add
their stored forms (DESIGN.md, "The story body"):

    <figure data-image="<Image pk>" data-width="inline|wide|full"
            data-alt="..." data-credit="..."><figcaption>...</figcaption></figure>
    <figure data-gallery="<pk>,<pk>,..."><figcaption>...</figcaption></figure>
    <figure data-embed="<https URL>"><figcaption>...</figcaption></figure>
    <blockquote data-pullquote><p>...</p></blockquote>

`data-alt` and `data-credit` are the editor's per-use text (empty: the library's).
The values are checked here as well as the names (`STORY_ATTRIBUTES`), and a figure
is always a top-level block of one kind with at most a plain-text caption.
"""

import html
import re
from collections import Counter
from functools import cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from django.core.exceptions import ValidationError
from django.utils.html import strip_tags
from django_prose_editor.config import allowlist_from_extensions

BODY_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "HardBreak": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "History": True,
    "SpecialCharacters": True,
    # The story nodes (settings.DJANGO_PROSE_EDITOR_EXTENSIONS).
    "StoryImage": True,
    "StoryGallery": True,
    "StoryEmbed": True,
    "PullQuote": True,
    "TrailingNode": True,
}

BODY_CONFIG = {"extensions": BODY_EXTENSIONS}
#: The story nodes whose dialogs use the desk's endpoints (articles/forms.py).
STORY_NODES = ("StoryImage", "StoryGallery", "StoryEmbed")

WORDS_PER_MINUTE = 230

IMAGE_WIDTHS = ("inline", "wide", "full")
MAX_GALLERY_IMAGES = 60
MAX_EMBED_URL = 2000
_ID = re.compile(r"[1-9][0-9]{0,17}")
_ID_LIST = re.compile(r"[1-9][0-9]{0,17}(?:,[1-9][0-9]{0,17})*")
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f<>\"'`\\]")


def _image_id(value):
    value = value.strip()
    return value if _ID.fullmatch(value) else None


def _width(value):
    value = value.strip()
    return value if value in IMAGE_WIDTHS else "inline"


def _id_list(value):
    value = value.replace(" ", "")
    if not _ID_LIST.fullmatch(value):
        return None
    ids = list(dict.fromkeys(value.split(",")))[:MAX_GALLERY_IMAGES]
    return ",".join(ids)


def embed_url(value):
    """The address when it is a plain https URL with a host; else None."""
    value = (value or "").strip()
    if not value or len(value) > MAX_EMBED_URL or _UNSAFE_IN_URL.search(value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return None
    return value


def _text(limit):
    return lambda value: " ".join(value.split())[:limit]


#: (tag, attribute) → what makes a value acceptable (returns it, cleaned, or None).
STORY_ATTRIBUTES = {
    ("figure", "data-image"): _image_id,
    ("figure", "data-width"): _width,
    ("figure", "data-gallery"): _id_list,
    ("figure", "data-embed"): embed_url,
    ("figure", "data-alt"): _text(300),
    ("figure", "data-credit"): _text(200),
    ("blockquote", "data-pullquote"): lambda value: "",
}
FIGURE_KINDS = ("data-image", "data-gallery", "data-embed")


def _attribute_filter(tag, attribute, value):
    check = STORY_ATTRIBUTES.get((tag, attribute))
    return value if check is None else check(value)


@cache
def _cleaner():
    allow = allowlist_from_extensions(BODY_EXTENSIONS)
    allow.setdefault("url_schemes", {"http", "https", "mailto"})
    allow["attributes"] = {tag: set(attrs) - {"rel"} for tag, attrs in allow["attributes"].items()}
    allow["link_rel"] = "noopener noreferrer"
    return nh3.Cleaner(**allow, attribute_filter=_attribute_filter)


#: How deep elements may nest in a body. The editor's deepest real forms (a list in a
#: list in a quote, a dozen levels) stay far below it; the HTML parser's work grows with
#: the square of the depth, so a body nested thousands deep would tie a worker up.
MAX_NESTING = 64
_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)[^>]*>")
VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)

_OPTIONAL_END = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})


class BodyTooDeep(ValidationError, ValueError):
    """A body nested deeper than MAX_NESTING: a form error for the desk, a ValueError
    for an importer naming the item."""


def check_nesting(markup, limit=MAX_NESTING):
    """Refuse markup nested deeper than `limit`, before any parser builds its tree.

    One pass over the tags, counting as a browser would at least (an end tag closes
    back to its open element, an end tag with none open is ignored), so it can only
    count deeper than the sanitiser's parser, never shallower by a trick. Pasted and
    imported HTML often leaves out optional end tags (`<li>one<li>two`, `<p>a<p>b`): a
    start tag of such an element closes one of its name directly above it, as the
    parser does."""
    stack, open_count = [], Counter()
    for match in _TAG.finditer(markup or ""):
        name = match[2].lower()
        if name in VOID_ELEMENTS:
            continue
        if not match[1]:
            if stack and stack[-1] == name and name in _OPTIONAL_END:
                continue  # closes its sibling and takes its place: no deeper
            stack.append(name)
            open_count[name] += 1
            if len(stack) > limit:
                raise BodyTooDeep(
                    "The body is nested more than %(limit)d levels deep (lists or quotes "
                    "inside one another); flatten it and save again.",
                    code="too_deep",
                    params={"limit": limit},
                )
        elif open_count[name]:
            while True:
                top = stack.pop()
                open_count[top] -= 1
                if top == name:
                    break


def sanitize_body(html):
    """Return the body with only the allowed tags, attributes and URL schemes; a body
    nested deeper than MAX_NESTING is refused (BodyTooDeep) before it is parsed.

    Sanitising the result again changes nothing: removing a tag can leave markup that
    parses differently the next time (a heading that was inside a stripped element ends
    up inside another heading, which the HTML parser then closes), so the cleaner runs
    until the text stops changing (twice in practice), and a saved body stays as saved."""
    check_nesting(html)
    cleaned = _clean_once(html or "")
    for _ in range(3):
        again = _clean_once(cleaned)
        if again == cleaned:
            break
        cleaned = again
    # ProseMirror always leaves at least one empty paragraph; empty means empty.
    return "" if cleaned.strip() in {"", "<p></p>"} else cleaned


def _clean_once(text):
    cleaned = _cleaner().clean(text)
    if "<fig" in cleaned:
        cleaned = _cleaner().clean(serialize(normalize_figures(parse(cleaned))))
    return cleaned


# -- A small tree of sanitised markup --------------------------------------------
#
# nh3 writes well-formed HTML, so a tree built from it with the standard library's
# parser is exact: enough to hold figures to their shape here, and for articles/body.py
# to replace each stored figure with what readers get.

VOID = {"br", "hr", "img", "wbr"}


class Element:
    __slots__ = ("attrs", "children", "tag")

    def __init__(self, tag, attrs):
        self.tag = tag
        self.attrs = dict(attrs)
        self.children = []

    @property
    def text(self):
        return "".join(
            child.text if isinstance(child, Element) else child for child in self.children
        )


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, ((name, value or "") for name, value in attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(markup):
    """The top-level nodes of sanitised markup: Elements and strings."""
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root.children


def serialize(nodes):
    out = []
    for node in nodes:
        if isinstance(node, str):
            out.append(html.escape(node, quote=False))
            continue
        attrs = "".join(
            f' {name}="{html.escape(value, quote=True)}"' for name, value in node.attrs.items()
        )
        out.append(f"<{node.tag}{attrs}>")
        if node.tag not in VOID:
            out.append(serialize(node.children))
            out.append(f"</{node.tag}>")
    return "".join(out)


def figure_kind(element):
    """'data-image', 'data-gallery' or 'data-embed' for a story figure, else None."""
    if not isinstance(element, Element) or element.tag != "figure":
        return None
    return next((kind for kind in FIGURE_KINDS if element.attrs.get(kind)), None)


def figure_caption(element):
    caption = next(
        (c for c in element.children if isinstance(c, Element) and c.tag == "figcaption"), None
    )
    return " ".join(caption.text.split()) if caption is not None else ""


def normalize_figures(nodes, top=True):
    """Figures as the editor makes them: top-level, one kind each, with at most a plain
    caption. A figure of no kind, or one inside another block, keeps only its text (as a
    paragraph at the top level); a stray caption becomes a paragraph."""
    out = []
    for node in nodes:
        if not isinstance(node, Element):
            out.append(node)
            continue
        if node.tag == "figure" and top and figure_kind(node):
            kind = figure_kind(node)
            keep = {kind: node.attrs[kind]}
            if kind == "data-image":
                keep["data-width"] = node.attrs.get("data-width", "inline")
                for name in ("data-alt", "data-credit"):
                    if node.attrs.get(name):
                        keep[name] = node.attrs[name]
            figure = Element("figure", keep.items())
            caption = figure_caption(node)
            if caption:
                figcaption = Element("figcaption", ())
                figcaption.children.append(caption)
                figure.children.append(figcaption)
            out.append(figure)
        elif node.tag in ("figure", "figcaption"):
            text = " ".join(node.text.split())
            if text:
                if top:
                    paragraph = Element("p", ())
                    paragraph.children.append(text)
                    out.append(paragraph)
                else:
                    out.append(text)
        else:
            node.children = normalize_figures(node.children, top=False)
            out.append(node)
    return out


# Block boundaries separate words ("end.</p><p>Next" is two words); inline tags do not.
_BLOCK_TAG = re.compile(
    r"</?(?:p|h[1-6]|li|ul|ol|blockquote|br|hr|div|figure|figcaption)\b[^>]*>", re.I
)


def plain_text(html):
    return " ".join(strip_tags(_BLOCK_TAG.sub(" ", html or "")).split())


def word_count(html):
    return len(plain_text(html).split())
