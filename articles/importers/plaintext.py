"""Plain-text and Markdown import: wire copy and reporters' files.

A file is an optional front matter block (YAML-style `key: value` lines between two
`---` lines), then the headline (the first non-empty line), then the body: blocks
separated by blank lines are paragraphs (lines inside a block are joined), and a file
with no blank lines at all has one paragraph per line. Markdown files (.md, .markdown)
are rendered with markdown-it-py (CommonMark) and then sanitised like any body.

A Markdown picture on a line of its own, `![alt](path "caption")`, whose file lies next
to the Markdown file (the path is relative to it), becomes a library image and an
inline figure of the story: alt text from the alt (the file name when it has none),
caption from the title. Every picture is checked when the files are read, so a missing
or refused one stops the import before anything is written. Pictures elsewhere (an
address on the web, a picture inside a sentence) keep only their alt text.
"""

import datetime
import html
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify
from markdown_it import MarkdownIt

from articles import images
from articles.models import Article, Image
from articles.richtext import BodyTooDeep

from .common import (
    Catalogue,
    clean_body,
    html_to_text,
    set_bylines,
    set_tags,
    truncate_words,
    unique_article_slug,
)

MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt", ".text"}
FRONT_MATTER_KEYS = {
    "headline",
    "title",
    "slug",
    "section",
    "author",
    "authors",
    "tags",
    "date",
    "status",
    "standfirst",
    "summary",
}
STATUSES = {
    "draft": Article.Status.DRAFT,
    "review": Article.Status.REVIEW,
    "published": Article.Status.PUBLISHED,
    "publish": Article.Status.PUBLISHED,
}


class ImportFileError(Exception):
    """A file cannot be imported; the message names the file and the problem."""


@dataclass
class Picture:
    path: Path
    alt: str
    caption: str


@dataclass
class Story:
    path: Path
    headline: str
    body: str
    meta: dict = field(default_factory=dict)
    # Pictures of the body: its figures say data-image="picture:<n>" until saved.
    pictures: list = field(default_factory=list)


def decode(path, raw, encoding="utf-8"):
    """The file's text: UTF-8 with or without a byte-order mark (or the given encoding)."""
    if raw.startswith(b"\xef\xbb\xbf") and encoding.replace("_", "-").lower() in {
        "utf-8",
        "utf8",
    }:
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path}: not valid {encoding.upper()}: invalid byte sequence at line {line} "
            f"(byte {error.start + 1} of the file). Save it as UTF-8, or give --encoding."
        ) from error
    except LookupError as error:
        raise ImportFileError(f"unknown encoding: {encoding}") from error


def _list(value):
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    return [_scalar(part) for part in value.split(",") if _scalar(part)]


def _scalar(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value.strip()


def split_front_matter(path, text):
    """(meta, rest of the text). Keys are checked so a typo is an error, not silence."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].strip() != "---":
        return {}, text
    meta = {}
    current_list = None
    for number in range(first + 1, len(lines)):
        line = lines[number]
        stripped = line.strip()
        if stripped == "---":
            return meta, "\n".join(lines[number + 1 :])
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("- ") and current_list is not None:
            meta[current_list].append(_scalar(stripped[2:]))
            continue
        key, sep, value = stripped.partition(":")
        key = key.strip().lower()
        if not sep or key not in FRONT_MATTER_KEYS:
            raise ImportFileError(
                f"{path}, line {number + 1}: front matter line {stripped!r} is not one of "
                f"`key: value` with key in {', '.join(sorted(FRONT_MATTER_KEYS))}"
            )
        if key in {"authors", "author", "tags"}:
            meta[key] = _list(value)
            current_list = key
        else:
            meta[key] = _scalar(value)
            current_list = None
    raise ImportFileError(
        f"{path}: the front matter starting at line {first + 1} has no closing ---"
    )


def paragraphs_html(text):
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    if len(blocks) == 1:
        blocks = [line for line in blocks[0].split("\n") if line.strip()]
    return clean_body("".join(f"<p>{html.escape(' '.join(block.split()))}</p>" for block in blocks))


# Raw HTML is let through to the sanitiser, which keeps what the body allows (<em>, links)
# and drops the rest, script content included.
_markdown = MarkdownIt("commonmark", {"html": True})


def markdown_html(text):
    return clean_body(_markdown.render(text))


# A picture alone in its paragraph, as markdown-it writes it; any other picture.
_PICTURE = re.compile(r'<p><img src="([^"]*)" alt="([^"]*)"(?: title="([^"]*)")? ?/?></p>')
_INLINE_PICTURE = re.compile(r'<img src="[^"]*" alt="([^"]*)"[^>]*>')
# Where a picture's figure goes once the picture is in the library (U+FFFC, the object
# replacement character, survives sanitising as text and is never typed).
_PLACEHOLDER = re.compile(r"<p>\ufffcpicture:(\d+)\ufffc</p>")


def markdown_story_html(path, text):
    """(body, pictures): the sanitised Markdown body with a placeholder paragraph for each
    picture next to the file (`figures_for()` puts the figures in)."""
    pictures = []

    def placeholder(match):
        source, alt, title = (html.unescape(part or "") for part in match.groups())
        if re.match(r"^[a-z][a-z0-9+.-]*:", source, re.I) or source.startswith("/"):
            return f"<p>{html.escape(alt)}</p>" if alt else ""
        picture = Path(path).parent / source
        check_picture(path, picture)
        alt = " ".join(alt.split()) or picture.stem.replace("-", " ").replace("_", " ")
        pictures.append(Picture(picture, alt[:300], " ".join(title.split())[:500]))
        return f"<p>\ufffcpicture:{len(pictures) - 1}\ufffc</p>"

    rendered = _PICTURE.sub(placeholder, _markdown.render(text))
    return clean_body(_INLINE_PICTURE.sub(r"\1", rendered)), pictures


def figures_for(body, ids, pictures):
    """The body with each placeholder replaced by the figure of library image ids[n]."""
    from articles.richtext import sanitize_body

    def figure(match):
        n = int(match[1])
        caption = pictures[n].caption
        figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        return f'<figure data-image="{ids[n]}" data-width="inline">{figcaption}</figure>'

    return sanitize_body(_PLACEHOLDER.sub(figure, body))


def check_picture(path, picture):
    try:
        with picture.open("rb") as upload:
            images.inspect_upload(File(upload), picture.name)
    except OSError as error:
        raise ImportFileError(
            f"{path}: the picture {picture} cannot be read ({error.strerror or error}); "
            "put it next to the Markdown file, or take it out of the text"
        ) from error
    except ValidationError as error:
        raise ImportFileError(
            f"{path}: the picture {picture}: {' '.join(error.messages)}"
        ) from error


def read_story(path, encoding="utf-8"):
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(f"{path}: cannot read the file ({error.strerror})") from error
    text = decode(path, raw, encoding).replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise ImportFileError(f"{path}: contains NUL characters; is it really a text file?")
    if not text.strip():
        raise ImportFileError(f"{path}: the file is empty")
    meta, rest = split_front_matter(path, text)
    lines = rest.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    headline = meta.get("headline") or meta.get("title")
    if headline:
        body_text = rest
    elif start is None:
        raise ImportFileError(f"{path}: there is front matter but no headline or text")
    else:
        headline = lines[start].strip()
        body_text = "\n".join(lines[start + 1 :])
    markdown = path.suffix.lower() in MARKDOWN_SUFFIXES
    pictures = []
    try:
        if markdown:
            headline = re.sub(r"^#+\s*", "", headline).strip()
            headline = html_to_text(_markdown.renderInline(headline))
            body, pictures = markdown_story_html(path, body_text)
        else:
            body = paragraphs_html(body_text)
    except BodyTooDeep as error:
        raise ImportFileError(f"{path}: {' '.join(error.messages)}") from error
    headline = truncate_words(" ".join(headline.split()), 300)
    if not headline:
        raise ImportFileError(f"{path}: no headline")
    return Story(path=path, headline=headline, body=body, meta=meta, pictures=pictures)


def collect_paths(paths):
    """Files named, and the .txt/.md files inside folders named, in a stable order."""
    found = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in MARKDOWN_SUFFIXES | TEXT_SUFFIXES
            )
        elif path.exists():
            found.append(path)
        else:
            raise ImportFileError(f"{path}: no such file or folder")
    if not found:
        raise ImportFileError("no .txt or .md files found in " + ", ".join(map(str, paths)))
    return found


@dataclass
class Summary:
    statuses: Counter = field(default_factory=Counter)
    created: Counter = field(default_factory=Counter)
    pictures: int = 0
    files: list = field(default_factory=list)
    article_ids: list = field(default_factory=list)

    def rows(self):
        rows = [("Articles", None), ("created", sum(self.statuses.values()))]
        rows += [
            (f"  {status}", self.statuses[status])
            for status in ("published", "scheduled", "review", "draft")
        ]
        rows += [("Bylines and terms", None)]
        rows += [
            (f"{what} created", self.created[what]) for what in ("authors", "sections", "tags")
        ]
        rows += [("Pictures", None), ("figures from files", self.pictures)]
        return rows


class ArticleImporter:
    def __init__(
        self,
        *,
        status="draft",
        section=None,
        authors=(),
        tags=(),
        encoding="utf-8",
        site_timezone="UTC",
    ):
        self.default_status = status
        self.default_section = section
        self.default_authors = list(authors)
        self.default_tags = list(tags)
        self.encoding = encoding
        self.site_tz = zoneinfo.ZoneInfo(site_timezone)
        self.catalogue = Catalogue()
        self.summary = Summary()
        self.library = {}

    def read_all(self, paths):
        """Read and check every file first, so one bad file stops the import before
        anything is written."""
        return [read_story(path, self.encoding) for path in collect_paths(paths)]

    def parse_when(self, story):
        value = story.meta.get("date", "")
        if not value:
            return None
        try:
            when = parse_datetime(value)
            if when is None and (day := parse_date(value)):
                when = datetime.datetime.combine(day, datetime.time(hour=9))
        except ValueError:
            when = None
        if when is None:
            raise ImportFileError(
                f"{story.path}: date {value!r} is not a date (use 2024-05-31 or "
                "2024-05-31T14:30:00+01:00)"
            )
        if timezone.is_naive(when):
            when = when.replace(tzinfo=self.site_tz)
        return when

    def save(self, story):
        meta = story.meta
        status_name = (meta.get("status") or self.default_status).lower()
        if status_name not in STATUSES:
            raise ImportFileError(
                f"{story.path}: status {status_name!r} is not one of draft, review, published"
            )
        status = STATUSES[status_name]
        when = self.parse_when(story)
        published_at = None
        if status == Article.Status.PUBLISHED:
            published_at = when or timezone.now()
        section_name = meta.get("section") or self.default_section
        section = self.catalogue.section(section_name) if section_name else None
        author_names = meta.get("authors") or meta.get("author") or self.default_authors
        authors = [self.catalogue.author(name) for name in author_names if name.strip()]
        tags = [self.catalogue.tag(name) for name in (meta.get("tags") or self.default_tags)]
        slug = unique_article_slug(
            slugify(meta.get("slug") or story.headline) or "article",
            suffix=timezone.localdate(published_at or timezone.now()).isoformat(),
        )
        article = Article.objects.create(
            headline=story.headline,
            slug=slug,
            standfirst=meta.get("standfirst") or meta.get("summary") or "",
            body=self.body_with_pictures(story),
            section=section,
            status=status,
            published_at=published_at,
            created_at=when or timezone.now(),
        )
        set_bylines(article, authors)
        set_tags(article, tags)
        label = "scheduled" if article.is_scheduled else status
        self.summary.statuses[label] += 1
        self.summary.files.append((story.path, article))
        self.summary.article_ids.append(article.pk)
        return article

    def body_with_pictures(self, story):
        """The body with its pictures in the library (one Image per file, however many
        stories show it) and their figures pointing at them."""
        if not story.pictures:
            return story.body
        ids = []
        for picture in story.pictures:
            key = picture.path.resolve()
            if key not in self.library:
                with picture.path.open("rb") as upload:
                    # Saved through Image.save(), which re-encodes it without metadata.
                    image = Image(
                        alt_text=picture.alt,
                        caption=picture.caption,
                        file=File(upload, name=picture.path.name),
                    )
                    image.save()
                self.library[key] = image.pk
            ids.append(self.library[key])
        self.summary.pictures += len(ids)
        return figures_for(story.body, ids, story.pictures)

    def run(self, paths):
        stories = self.read_all(paths)
        for story in stories:
            self.save(story)
        self.summary.created.update(self.catalogue.created)
        return self.summary
