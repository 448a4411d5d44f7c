"""The article body: what the rich-text editor offers, and the one sanitiser behind it.

The editor's extensions and the sanitiser's allowlist come from the same
configuration, so what an editor can make is exactly what survives a save.
"""

import re
from functools import cache

import nh3
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
}

BODY_CONFIG = {"extensions": BODY_EXTENSIONS}

WORDS_PER_MINUTE = 230


@cache
def _cleaner():
    allow = allowlist_from_extensions(BODY_EXTENSIONS)
    allow.setdefault("url_schemes", {"http", "https", "mailto"})
    allow["attributes"] = {tag: set(attrs) - {"rel"} for tag, attrs in allow["attributes"].items()}
    allow["link_rel"] = "noopener noreferrer"
    return nh3.Cleaner(**allow)


def sanitize_body(html):
    """Return the body with only the allowed tags, attributes and URL schemes.

    Sanitising the result again changes nothing: removing a tag can leave markup that
    parses differently the next time (a heading that was inside a stripped element ends
    up inside another heading, which the HTML parser then closes), so the cleaner runs
    until the text stops changing (twice in practice), and a saved body stays as saved."""
    cleaned = _cleaner().clean(html or "")
    for _ in range(3):
        again = _cleaner().clean(cleaned)
        if again == cleaned:
            break
        cleaned = again
    # ProseMirror always leaves at least one empty paragraph; empty means empty.
    return "" if cleaned.strip() in {"", "<p></p>"} else cleaned


# Block boundaries separate words ("end.</p><p>Next" is two words); inline tags do not.
_BLOCK_TAG = re.compile(r"</?(?:p|h[1-6]|li|ul|ol|blockquote|br|hr|div)\b[^>]*>", re.I)


def plain_text(html):
    return " ".join(strip_tags(_BLOCK_TAG.sub(" ", html or "")).split())


def word_count(html):
    return len(plain_text(html).split())
