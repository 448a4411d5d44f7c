"""Turn a reader's plain text into safe HTML, once, when the comment is saved."""

import hashlib
import html
import re
import unicodedata

from django.utils.html import escape

# Only http(s) links become anchors; the URL is matched on the raw text and escaped
# on output, so nothing a reader types can open or close a tag or an attribute.
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def _linkify(text):
    out = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        trail = ""
        while url and url[-1] in _TRAILING:
            trail = url[-1] + trail
            url = url[:-1]
        out.append(escape(text[last : match.start()]))
        safe = escape(url)
        out.append(f'<a href="{safe}" rel="nofollow ugc noopener">{safe}</a>{escape(trail)}')
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def render_comment(body):
    """Escaped paragraphs (blank lines), line breaks, and clickable http(s) links."""
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n".join(
        "<p>" + "<br>".join(_linkify(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


_MARKUP = re.compile(r"<!--.*?-->|</?[a-zA-Z][^>]*>", re.DOTALL)


def normalise(text):
    """The text as a matcher should see it: entities decoded, markup removed,
    invisible format characters (zero-width spaces, soft hyphens, direction marks)
    dropped, compatibility forms folded (full-width letters, ligatures), accents
    removed and case folded."""
    text = html.unescape(text or "")
    text = _MARKUP.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", text).casefold()


def words(text):
    return re.findall(r"\w+", normalise(text))


def fingerprint(text):
    """Same words in the same order give the same fingerprint, whatever the case,
    accents, spacing or punctuation."""
    joined = " ".join(words(text))
    return hashlib.sha256(joined.encode()).hexdigest() if joined else ""
