"""Helpers the importers share: turning outside HTML and text into what the article body
allows, finding or making sections, authors and tags, unique slugs, and the summary table."""

import re
from collections import Counter
from html.parser import HTMLParser

from django.utils.text import slugify
from taggit.models import Tag

from articles.models import Article, Author, Section

HEADLINE_MAX = Article._meta.get_field("headline").max_length
SLUG_MAX = Article._meta.get_field("slug").max_length

# The body keeps only what the editor can make (articles.richtext); these renames keep the
# meaning of common outside markup that the sanitiser would otherwise flatten to text.
_RENAMES = [
    (re.compile(r"<(/?)h1\b", re.IGNORECASE), r"<\1h2"),
    (re.compile(r"<(/?)h[56]\b", re.IGNORECASE), r"<\1h4"),
    (re.compile(r"<(/?)b\b", re.IGNORECASE), r"<\1strong"),
    (re.compile(r"<(/?)i\b", re.IGNORECASE), r"<\1em"),
    (re.compile(r"<(/?)(?:del|strike)\b", re.IGNORECASE), r"<\1s"),
    (re.compile(r"<(/?)(?:div|pre|tr|dt|dd|address|figcaption|center)\b", re.IGNORECASE), r"<\1p"),
    # Tables have no place in the body: each row becomes a paragraph of its cells.
    (re.compile(r"</?(?:table|tbody|thead|tfoot|colgroup|col)\b[^>]*>", re.IGNORECASE), ""),
    (re.compile(r"<t[dh]\b[^>]*>", re.IGNORECASE), ""),
    (re.compile(r"</t[dh]\s*>", re.IGNORECASE), " "),
    (re.compile(r"<(/?)caption\b", re.IGNORECASE), r"<\1p"),
]
_EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|&nbsp;|\xa0|<br>)*</p>")


def clean_body(markup):
    """Sanitised body HTML without the empty paragraphs outside editors leave behind."""
    from articles.richtext import sanitize_body

    cleaned = _EMPTY_PARAGRAPH.sub("", sanitize_body(normalize_html(markup)))
    return sanitize_body(cleaned.strip())


def normalize_html(markup):
    """Map outside HTML onto the tags the body allows, before sanitising."""
    for pattern, replacement in _RENAMES:
        markup = pattern.sub(replacement, markup)
    return markup


class _TextExtractor(HTMLParser):
    BLOCKS = {
        "p", "div", "li", "blockquote", "pre", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
        "dl", "dt", "dd", "ul", "ol", "table", "figure", "figcaption", "section", "hr",
    }  # fmt: skip

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.href = None

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_start = len(self.parts)

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.href:
            text = "".join(self.parts[self.link_start :]).strip()
            if self.href.startswith(("http://", "https://")) and self.href != text:
                self.parts.append(f" ({self.href})")
            self.href = None

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(markup):
    """Readable plain text from HTML: paragraphs kept, links written out, entities decoded."""
    parser = _TextExtractor()
    parser.feed(markup or "")
    parser.close()
    text = "".join(parser.parts).replace("\r\n", "\n").replace("\r", "\n")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def one_line(markup):
    """A title or a name: tags removed, entities decoded, white space collapsed."""
    return " ".join(html_to_text(markup or "").split())


def truncate_words(text, limit, ellipsis="…"):
    """Cut at a word boundary so the result, with the ellipsis, fits in `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-\u2013\u2014") + ellipsis


def truncate_slug(slug, limit=SLUG_MAX):
    if len(slug) <= limit:
        return slug
    cut = slug[:limit]
    if "-" in cut[limit // 2 :]:
        cut = cut[: cut.rindex("-")]
    return cut.strip("-")


def headline_from(title, body_text, fallback):
    """The headline: the title, or the body's opening words when there is none."""
    if title:
        return truncate_words(title, HEADLINE_MAX)
    first = " ".join(body_text.strip().split("\n\n")[0].split())
    if first:
        return truncate_words(first, 100)
    return fallback


def unique_article_slug(base, *, suffix, exclude_pk=None):
    """`base`, or `base-<suffix>` when another article has it (deterministic, so a
    re-import finds the same slug)."""
    base = truncate_slug(base) or "article"
    taken = Article.objects.filter(slug=base)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if not taken.exists():
        return base
    tail = f"-{suffix}"
    candidate = truncate_slug(base, SLUG_MAX - len(tail)) + tail
    number = 2
    while Article.objects.filter(slug=candidate).exclude(pk=exclude_pk).exists():
        tail = f"-{suffix}-{number}"
        candidate = truncate_slug(base, SLUG_MAX - len(tail)) + tail
        number += 1
    return candidate


def _free_slug(model, base, limit):
    base = truncate_slug(base, limit) or model.__name__.lower()
    candidate, number = base, 2
    while model.objects.filter(slug=candidate).exists():
        tail = f"-{number}"
        candidate = truncate_slug(base, limit - len(tail)) + tail
        number += 1
    return candidate


class Catalogue:
    """Sections, authors and tags found or created during one import, cached by key,
    with counts of what was created for the summary."""

    def __init__(self):
        self.sections = {}
        self.authors = {}
        self.tags = {}
        self.created = Counter()

    def section(self, name, slug_hint=""):
        name = truncate_words(" ".join(name.split()), 100, ellipsis="") or slug_hint
        key = (slugify(slug_hint) or slugify(name)).lower()
        if key in self.sections:
            return self.sections[key]
        section = (
            Section.objects.filter(slug=key).first()
            or Section.objects.filter(name__iexact=name).first()
        )
        if section is None:
            section = Section.objects.create(name=name, slug=_free_slug(Section, key, 100))
            self.created["sections"] += 1
        self.sections[key] = section
        return section

    def author(self, name, slug_hint="", email=""):
        name = truncate_words(" ".join(name.split()), 200, ellipsis="") or slug_hint or "Staff"
        key = slugify(slug_hint) or slugify(name) or "staff"
        if key in self.authors:
            return self.authors[key]
        author = Author.objects.filter(slug=key).first()
        if author is None and not slug_hint:
            author = Author.objects.filter(name__iexact=name).first()
        if author is None:
            author = Author.objects.create(
                name=name, slug=_free_slug(Author, key, 200), email=email[:254]
            )
            self.created["authors"] += 1
        elif email and not author.email:
            author.email = email[:254]
            author.save(update_fields=["email"])
        self.authors[key] = author
        return author

    def tag(self, name, slug_hint=""):
        name = " ".join(name.split())[:100].strip()
        if not name:
            return None
        key = name.lower()
        if key in self.tags:
            return self.tags[key]
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            base = slugify(name) or slugify(slug_hint) or "tag"
            tag = Tag.objects.create(name=name, slug=_free_slug(Tag, base, 100))
            self.created["tags"] += 1
        self.tags[key] = tag
        return tag


def set_tags(article, tags):
    """Give the article exactly these tags; True when that changed anything."""
    wanted = {tag.pk for tag in tags if tag is not None}
    current = set(article.tags.values_list("pk", flat=True))
    if wanted == current:
        return False
    article.tags.set([tag for tag in tags if tag is not None])
    return True


def set_bylines(article, authors):
    """Give the article exactly these bylines, in order; True when that changed anything."""
    from articles.models import Byline

    wanted = []
    for author in authors:
        if author.pk not in wanted:
            wanted.append(author.pk)
    current = list(article.bylines.order_by("position").values_list("author_id", flat=True))
    if wanted == current:
        return False
    article.bylines.all().delete()
    for position, pk in enumerate(wanted):  # saved one by one: each announces itself
        Byline.objects.create(article=article, author_id=pk, position=position)
    return True


def format_table(title, rows):
    """A plain two-column table: rows are (label, value) pairs; a label alone is a heading."""
    width = max([len(str(label)) for label, _ in rows] + [10])
    lines = [title, "=" * len(title)]
    for label, value in rows:
        if value is None:
            lines.append("")
            lines.append(str(label))
        else:
            lines.append(f"  {label:<{width}}  {value:>8}")
    return "\n".join(lines)


def reindex_search(article_ids):
    """Recompute stored search data for rows written without Article.save()."""
    from articles.search import reindex

    if article_ids:
        reindex(article_ids=sorted(article_ids))
