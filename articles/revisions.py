"""Article history: snapshot every save, compare any two, restore one.

A snapshot holds what an editor writes (text, section, images, bylines, tags, SEO
fields) and, for the record, the workflow state. Restoring brings back the writing
but never the workflow state: bringing back an old version must not publish,
unpublish or reschedule anything by itself.
"""

import difflib
import re
from dataclasses import dataclass
from html import unescape

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import strip_tags

from .models import Article, Byline, Revision

CONTENT_FIELDS = [
    "headline",
    "slug",
    "standfirst",
    "body",
    "section_id",
    "lead_image_id",
    "lead_image_caption",
    "lead_image_credit",
    "featured",
    "comments_enabled",
    "seo_title",
    "seo_description",
]
DATETIME_FIELDS = ["comments_close_at"]
STATE_FIELDS = ["status", "published_at"]

LABELS = {
    "headline": "Headline",
    "slug": "Slug",
    "standfirst": "Standfirst",
    "body": "Body",
    "section_id": "Section",
    "lead_image_id": "Lead image",
    "lead_image_caption": "Lead image caption",
    "lead_image_credit": "Lead image credit",
    "featured": "Featured",
    "comments_enabled": "Comments enabled",
    "comments_close_at": "Comments close at",
    "seo_title": "SEO title",
    "seo_description": "SEO description",
    "bylines": "Bylines",
    "tags": "Tags",
    "status": "Status",
    "published_at": "Published at",
}
# Text compared word by word; everything else is shown as before → after.
PROSE_FIELDS = ["headline", "standfirst", "body"]

_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote)>|<br\s*/?>|<hr\s*/?>", re.I)
_HEADING = re.compile(r"<h([1-6])\b[^>]*>", re.I)
_LINK = re.compile(r"<a\b[^>]*?\bhref=\"([^\"]*)\"[^>]*>(.*?)</a>", re.I | re.S)


def snapshot(article):
    """The article as a JSON-serialisable dict: fields, byline author ids in order, tags."""
    data = {name: getattr(article, name) for name in CONTENT_FIELDS}
    for name in [*DATETIME_FIELDS, "published_at"]:
        value = getattr(article, name)
        data[name] = value.isoformat() if value else None
    data["status"] = article.status
    data["bylines"] = list(
        Byline.objects.filter(article=article)
        .order_by("position")
        .values_list("author_id", flat=True)
    )
    data["tags"] = sorted(article.tags.names(), key=str.lower)
    return data


def record(article, user):
    """Store a revision of the article as it is now in the database."""
    return Revision.objects.create(article=article, data=snapshot(article), created_by=user)


@transaction.atomic
def restore(revision, *, by):
    """Bring the article's writing back to `revision`, as a new save with its own revision.

    Only editors restore. The workflow state (status, publication time) stays as it is.
    What the revision names but no longer exists (a deleted section, lead image or
    author) is left as it is now; the new revision's `left_out` says what, in words
    for the editor."""
    from .workflow import can_publish, require

    require(can_publish(by), "Only an editor may restore revisions.")
    article = Article.objects.select_for_update().get(pk=revision.article_id)
    data, left_out = _restorable(revision.data)
    for name in CONTENT_FIELDS:
        if name in data:
            setattr(article, name, data[name])
    for name in DATETIME_FIELDS:
        if name in data:
            setattr(article, name, parse_datetime(data[name]) if data[name] else None)
    if Article.objects.filter(slug=article.slug).exclude(pk=article.pk).exists():
        # The old address now belongs to another article; keep the current one.
        article.slug = Article.objects.values_list("slug", flat=True).get(pk=article.pk)
    article.save()
    if "bylines" in data:
        Byline.objects.filter(article=article).delete()
        for position, author_id in enumerate(data["bylines"]):  # each announces itself
            Byline.objects.create(article=article, author_id=author_id, position=position)
    if "tags" in data:
        article.tags.set(data["tags"], clear=True)
    when = date_format(timezone.localtime(revision.created_at), "DATETIME_FORMAT")
    detail = f"The version of {when}"
    if left_out:
        detail += "; left as they were: " + "; ".join(left_out)
    article.events.create(actor=by, action="restore", detail=detail)
    new = record(article, by)
    new.left_out = left_out
    return new


def _restorable(data):
    """`data` without what no longer exists, and what was taken out, in words."""
    from .body import _ids
    from .models import Author, Image, Section
    from .richtext import figure_kind, parse

    data, left_out = dict(data), []
    section = data.get("section_id")
    if section is not None and not Section.objects.filter(pk=section).exists():
        del data["section_id"]
        left_out.append("the section (deleted since)")
    image = data.get("lead_image_id")
    if image is not None and not Image.objects.filter(pk=image).exists():
        for name in ("lead_image_id", "lead_image_caption", "lead_image_credit"):
            data.pop(name, None)
        left_out.append("the lead image and its caption and credit (the picture was deleted)")
    if data.get("bylines"):
        existing = set(Author.objects.filter(pk__in=data["bylines"]).values_list("pk", flat=True))
        missing = [pk for pk in data["bylines"] if pk not in existing]
        if missing:
            data["bylines"] = [pk for pk in data["bylines"] if pk in existing]
            left_out.append(
                f"{len(missing)} byline{'s' if len(missing) > 1 else ''} (author deleted since)"
            )
    if "<figure" in (data.get("body") or ""):
        wanted = {
            pk
            for node in parse(data["body"])
            if figure_kind(node) in ("data-image", "data-gallery")
            for pk in _ids(node.attrs[figure_kind(node)])
        }
        gone = wanted - set(Image.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if gone:
            left_out.append(
                f"{len(gone)} picture{'s' if len(gone) > 1 else ''} in the body (deleted "
                "since; not shown)"
            )
    return data, left_out


def body_text(html):
    """The body as plain paragraphs, for reading a diff; headings keep their level
    ("## ") and links their address ("text [address]"), so changes to either show."""
    text = _HEADING.sub(lambda found: "\n" + "#" * int(found[1]) + " ", html or "")
    text = _LINK.sub(lambda found: f"{found[2]} [{found[1]}]", text)
    text = _BLOCK_END.sub("\n", text)
    text = unescape(strip_tags(text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


@dataclass
class FieldChange:
    name: str
    label: str
    chunks: list  # [(op, text)] with op in {"equal", "insert", "delete"}


def _word_chunks(old, new):
    a, b = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    chunks = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            chunks.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            chunks.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            chunks.append(("insert", "".join(b[j1:j2])))
    return chunks


def _display(name, value, names):
    if value in (None, "", []):
        return "—"
    if name in names and isinstance(value, list):
        return ", ".join(names[name].get(item, f"#{item}") for item in value)
    if name in names:
        return names[name].get(value, f"#{value}")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def diff(old, new):
    """The fields that differ between two snapshots, in a readable order."""
    from .models import Author, Image, Section

    names = {
        "status": dict(Article.Status.choices),
        "section_id": dict(
            Section.objects.filter(
                pk__in=[old.get("section_id"), new.get("section_id")]
            ).values_list("pk", "name")
        ),
        "lead_image_id": dict(
            Image.objects.filter(
                pk__in=[old.get("lead_image_id"), new.get("lead_image_id")]
            ).values_list("pk", "alt_text")
        ),
        "bylines": dict(
            Author.objects.filter(
                pk__in={*old.get("bylines", []), *new.get("bylines", [])}
            ).values_list("pk", "name")
        ),
    }
    changes = []
    for name in [*CONTENT_FIELDS, *DATETIME_FIELDS, "bylines", "tags", *STATE_FIELDS]:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name == "body":
            chunks = _word_chunks(body_text(before), body_text(after))
        elif name in PROSE_FIELDS:
            chunks = _word_chunks(before or "", after or "")
        else:
            chunks = [
                ("delete", _display(name, before, names)),
                ("insert", _display(name, after, names)),
            ]
        changes.append(FieldChange(name, LABELS.get(name, name), chunks))
    return changes
