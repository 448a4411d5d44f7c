"""WordPress post content to body HTML: shortcodes, automatic paragraphs, sanitising.

`convert_content()` is the one entry point the importer calls for a post's body.
WordPress's shortcodes go through one table, `SHORTCODES` (name → handler); pictures
(`picture`: [caption], [gallery]) and embeds (`embed`: [embed] and bare URLs on their own
line) are the handlers where inline images and embeds plug in.
"""

import re

from ..common import clean_body

_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_URL_LINE = re.compile(r"^\s*(https?://[^\s<>\"]+)\s*$", re.MULTILINE)


def _link(url):
    url = url.strip()
    if not re.match(r"https?://[^\s<>\"]+$", url):
        return ""
    return f'\n\n<p><a href="{url}">{url}</a></p>\n\n'


def embed(attrs, inner, bare):
    """[embed], [youtube], [vimeo], [tweet], [soundcloud]; also a bare URL on its own line."""
    url = inner.strip() or attrs.get("url", "") or attrs.get("src", "")
    if not url and bare.startswith("http"):
        url = bare.split()[0]
    return _link(url)


def audio_video(attrs, inner, bare):
    url = attrs.get("src") or next(
        (attrs[k] for k in ("mp3", "m4a", "ogg", "wav", "mp4", "webm", "ogv") if k in attrs),
        "",
    )
    return _link(url)


def picture(attrs, inner, bare):
    """[caption] and [gallery]: removed whole rather than leaving an orphaned caption, as
    the body holds no pictures yet (the lead image is separate)."""
    return ""


# Shortcode name → handler(attrs, inner, bare attribute text) → HTML. The one table of
# what becomes of WordPress's own shortcodes.
SHORTCODES = {
    "caption": picture,
    "wp_caption": picture,
    "gallery": picture,
    "slideshow": picture,
    "embed": embed,
    "youtube": embed,
    "vimeo": embed,
    "tweet": embed,
    "soundcloud": embed,
    "audio": audio_video,
    "video": audio_video,
    "playlist": picture,
    "googlemaps": picture,
}


_SHORTCODE = re.compile(
    rf"\[(?P<name>{'|'.join(SHORTCODES)})\b(?P<attrs>[^\]]*)\]"
    r"(?:(?P<inner>.*?)\[/(?P=name)\])?",
    re.IGNORECASE | re.DOTALL,
)


def _shortcode(match):
    attrs = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4)
        for m in _ATTR.finditer(match.group("attrs") or "")
    }
    handler = SHORTCODES[match.group("name").lower()]
    return handler(attrs, match.group("inner") or "", (match.group("attrs") or "").strip())


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
        content = _URL_LINE.sub(lambda m: embed({}, m.group(1), ""), content)
        content = wpautop(content)
    content = re.sub(r"<!--.*?-->", "", content, flags=re.DOTALL)
    return clean_body(content)
