"""Turn a reader's plain text into safe HTML, once, when the comment is saved."""

import functools
import hashlib
import html
import re
import unicodedata

from django.template.loader import get_template
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


def thread_html(comment, *, reply):
    """The comment's whole markup in the thread (its author, time, body and links),
    made once when it is saved; `reply` is False for the form used once comments
    have closed. Everything a reader typed in it is escaped by the template."""
    return get_template("comments/includes/comment.html").render(
        {"comment": comment, "reply": reply}
    )


_MARKUP = re.compile(r"<!--.*?-->|</?[a-zA-Z][^>]*>", re.DOTALL)
# Invisible characters: format characters (zero-width spaces and joiners, soft
# hyphens, direction marks) and marks that draw nothing of their own (accents once
# decomposed, variation selectors, the combining grapheme joiner).
_INVISIBLE = {"Cf", "Mn", "Me"}
# A word is letters and digits; anything else, the underscore included, separates.
_WORD = re.compile(r"[^\W_]+")


@functools.cache
def _lookalikes():
    """Each non-ASCII character that Unicode's confusables data says looks like one
    ASCII letter or digit, mapped to it (Cyrillic U+0456 → i, Greek omicron → o)."""
    from confusable_homoglyphs import confusables

    table = {}
    for char, homoglyphs in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in homoglyphs:
            if len(glyph["c"]) == 1 and glyph["c"].isascii() and glyph["c"].isalnum():
                table[ord(char)] = glyph["c"].lower()
                break
    return table


def normalise(text):
    """The text as a matcher should see it: entities decoded, markup removed,
    invisible characters dropped, compatibility forms folded (full-width letters,
    ligatures), accents removed, case folded, and letters of other scripts that look
    like Latin ones replaced by them (a skeleton, as Unicode's UTS #39 describes)."""
    text = html.unescape(text or "")
    text = _MARKUP.sub("", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = text.translate(_lookalikes())
    return text


def words(text):
    return _WORD.findall(normalise(text))


def fingerprint(text):
    """Same words in the same order give the same fingerprint, whatever the case,
    accents, spacing or punctuation."""
    joined = " ".join(words(text))
    return hashlib.sha256(joined.encode()).hexdigest() if joined else ""
