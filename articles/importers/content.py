"""The Newsroom content export: versioned JSON Lines, documented in docs/export-format.md.

One JSON object per line. The first is a header (format name, version, time, counts),
the last an `end` record with the same counts, so a truncated file is recognised. In
between, records in dependency order: users (referenced accounts, never passwords),
sections, authors, tags, images (metadata; the files are copied with MEDIA_ROOT),
embeds, series, articles (with bylines, tags, revisions, corrections, old links, related
links, and the images and embeds their bodies use), blocked terms and
commenters, and comments (with moderation events and reader flags).

Every model field is written under its own name, so a field added to a model is
exported without a change here; relations to content are written as ids (kept on
import, so links and comment threads survive), relations to accounts as usernames.
"""

import datetime
import json
from collections import Counter, defaultdict
from itertools import islice
from pathlib import PurePosixPath

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from taggit.models import Tag

from articles.models import (
    Article,
    ArticleEvent,
    Author,
    Autosave,
    BodyImage,
    Breaking,
    Byline,
    Correction,
    EditorialNote,
    Embed,
    Image,
    LiveUpdate,
    Notification,
    RelatedLink,
    Revision,
    Section,
    Series,
    SlugRedirect,
    TaggedArticle,
)
from articles.richtext import BodyTooDeep, sanitize_body, word_count
from comments.models import (
    BlockedCommenter,
    BlockedTerm,
    Comment,
    CommentFlag,
    ModerationEvent,
)
from comments.rendering import fingerprint, render_comment

FORMAT = "newsroom-content"
VERSION = 1
BATCH = 500

# type name → model, in the order records are written and restored.
TOP_LEVEL = {
    "section": Section,
    "author": Author,
    "tag": Tag,
    "image": Image,
    "embed": Embed,
    "series": Series,
    "article": Article,
    "breaking": Breaking,
    "article_event": ArticleEvent,
    "notification": Notification,
    "blocked_term": BlockedTerm,
    "blocked_commenter": BlockedCommenter,
    "comment": Comment,
}
# Rows that belong to an article or a comment, written inside it: key → (model, owner field).
NESTED = {
    "article": {
        "revisions": (Revision, "article"),
        "corrections": (Correction, "article"),
        "related_links": (RelatedLink, "article"),
        "live_updates": (LiveUpdate, "article"),
    },
    "comment": {
        "events": (ModerationEvent, "comment"),
        "flags": (CommentFlag, "comment"),
    },
}
BodyEmbed = Article.body_embeds.through
CONTENT_MODELS = [
    Section,
    Author,
    Tag,
    Image,
    Embed,
    Series,
    Article,
    Byline,
    TaggedArticle,
    BodyImage,
    BodyEmbed,
    RelatedLink,
    Revision,
    Correction,
    SlugRedirect,
    LiveUpdate,
    Breaking,
    ArticleEvent,
    Notification,
    BlockedTerm,
    BlockedCommenter,
    Comment,
    ModerationEvent,
    CommentFlag,
]
# The desk's private conversation about a story stays on the desk: notes are never in
# an export, which may be handed to anyone (docs/export-format.md); nor is the text a
# writer typed and never saved (autosaves, purged after 30 days anyway).
NOT_EXPORTED = {EditorialNote, Autosave}
# Many-to-many fields carried inside their owner's record (through Byline, TaggedArticle,
# BodyImage and the embeds' own table): as ids, like every relation to content.
CARRIED_M2M = {
    (Article, "authors"),
    (Article, "tags"),
    (Article, "body_images"),
    (Article, "body_embeds"),
}


class ContentFormatError(Exception):
    """The file cannot be restored; the message names the line and the problem."""


def _safe_media_path(name, line, what):
    """A stored file name as storage writes them: relative, inside MEDIA_ROOT."""
    path = PurePosixPath(name or "")
    if path.is_absolute() or ".." in path.parts or "\\" in (name or ""):
        raise ContentFormatError(f"line {line}: {what} {name!r} is not a path inside the media")


def derive(obj, line):
    """Make the derived data of a restored row as saving it would, never taking it from
    the file: a body is sanitised (and its words counted), a comment's HTML and
    fingerprint are rendered from its text, an image's rendition URLs come from storage,
    an embed's frame must load from its provider's frame origins as configured now.
    A file edited by hand (or by an attacker) cannot put markup on a page this way.
    What readers get of a body with figures is rendered once its pictures and embeds
    are restored (`Importer.finish()`); a body without is its own rendering."""
    if isinstance(obj, (Article, LiveUpdate)):
        try:
            obj.body = sanitize_body(obj.body)
        except BodyTooDeep as error:
            what = type(obj).__name__
            raise ContentFormatError(
                f"line {line}: {what}.body: {' '.join(error.messages)}"
            ) from error
    if isinstance(obj, Article):
        obj.word_count = word_count(obj.body)
        obj.body_html = "" if "<figure" in obj.body else obj.body
        obj.body_media = {}
        # What is made from the rest when read or changed, never taken from the file.
        obj.page_html = obj.thread_html = obj.structured_data = obj.related_ids = None
    elif isinstance(obj, LiveUpdate):
        obj.body_html = "" if "<figure" in obj.body else obj.body
        obj.body_media = {}
    elif isinstance(obj, Embed):
        from articles import embeds

        provider = embeds.provider_for(obj.url)
        frame = provider.frame_for(obj.frame_url) if provider else None
        obj.frame_url = frame or ""
        if frame is None and obj.status == Embed.Status.RESOLVED:
            obj.status = Embed.Status.PENDING
    elif isinstance(obj, Comment):
        obj.body_html = render_comment(obj.body)
        obj.body_fingerprint = fingerprint(obj.body)
        obj.render_html()
    elif isinstance(obj, Image):
        renditions = {}
        for name, entry in (obj.renditions or {}).items():
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                raise ContentFormatError(f"line {line}: image rendition {name!r} has no path")
            _safe_media_path(entry["path"], line, "rendition")
            renditions[name] = {**entry, "url": default_storage.url(entry["path"])}
        obj.renditions = renditions


def _is_user_fk(field):
    return field.is_relation and field.related_model is get_user_model()


def _encode(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


class Exporter:
    def __init__(self, out):
        self.out = out
        self.counts = Counter()
        self.usernames = dict(get_user_model().objects.values_list("pk", "username"))

    def write(self, record):
        self.out.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")

    def fields(self, obj, skip=()):
        data = {}
        for field in obj._meta.concrete_fields:
            if field.name in skip:
                continue
            value = getattr(obj, field.attname)
            if _is_user_fk(field):
                value = self.usernames.get(value)
            elif not field.is_relation:
                value = _encode(field.value_from_object(obj))
            data[field.name] = value
        return data

    def counts_now(self):
        counts = {"user": len(self.referenced_users())}
        for name, model in TOP_LEVEL.items():
            counts[name] = model.objects.count()
        # As the end record counts them: types with no records are not named.
        return {name: count for name, count in counts.items() if count}

    def referenced_users(self):
        ids = set()
        for model in CONTENT_MODELS:
            for field in model._meta.concrete_fields:
                if _is_user_fk(field):
                    ids.update(
                        model.objects.exclude(**{f"{field.attname}__isnull": True})
                        .values_list(field.attname, flat=True)
                        .distinct()
                    )
        return sorted(ids)

    def run(self):
        expected = self.counts_now()
        self.write(
            {
                "type": "header",
                "format": FORMAT,
                "version": VERSION,
                "exported_at": datetime.datetime.now(datetime.UTC).isoformat(),
                "counts": expected,
            }
        )
        user_model = get_user_model()
        for user in user_model.objects.filter(pk__in=self.referenced_users()).order_by("pk"):
            self.emit(
                "user",
                {
                    "username": user.get_username(),
                    "email": getattr(user, "email", ""),
                    "first_name": getattr(user, "first_name", ""),
                    "last_name": getattr(user, "last_name", ""),
                    "is_staff": user.is_staff,
                    "is_active": user.is_active,
                    "groups": sorted(user.groups.values_list("name", flat=True)),
                },
            )
        for name, model in TOP_LEVEL.items():
            queryset = model.objects.order_by("pk")
            if model is Article:
                queryset = queryset.prefetch_related(
                    "bylines",
                    "tags",
                    "revisions",
                    "corrections",
                    "redirects",
                    "related_links",
                    "bodyimage_set",
                    "body_embeds",
                )
            elif model is Comment:
                queryset = queryset.prefetch_related("events", "flags")
            for obj in queryset.iterator(chunk_size=BATCH):
                record = self.fields(obj)
                if model is Article:
                    self.add_article_parts(obj, record)
                elif model is Comment:
                    self.add_comment_parts(obj, record)
                self.emit(name, record)
        self.write({"type": "end", "counts": dict(self.counts)})
        return self.counts

    def emit(self, name, record):
        record["type"] = name
        self.write(record)
        self.counts[name] += 1

    def add_article_parts(self, article, record):
        record["bylines"] = [
            b.author_id for b in sorted(article.bylines.all(), key=lambda b: b.position)
        ]
        record["tags"] = sorted(tag.slug for tag in article.tags.all())
        record["redirects"] = sorted(r.old_path for r in article.redirects.all())
        record["body_images"] = sorted(use.image_id for use in article.bodyimage_set.all())
        record["body_embeds"] = sorted(embed.pk for embed in article.body_embeds.all())
        for key, (_model, owner) in NESTED["article"].items():
            rows = sorted(getattr(article, key).all(), key=lambda row: row.pk)
            record[key] = [self.fields(row, skip=(owner,)) for row in rows]

    def add_comment_parts(self, comment, record):
        for key, (_model, owner) in NESTED["comment"].items():
            rows = sorted(getattr(comment, key).all(), key=lambda row: row.pk)
            record[key] = [self.fields(row, skip=(owner,)) for row in rows]


def export_content(out):
    """Write the whole archive to the text stream `out`; returns counts by record type."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # One snapshot for every query, so rows written meanwhile cannot leave a
            # comment whose article is missing from the file.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return Exporter(out).run()


def existing_content():
    """What the database already holds, by model (empty when it can receive an import)."""
    found = {}
    for model in CONTENT_MODELS:
        count = model.objects.count()
        if count:
            found[model._meta.verbose_name_plural] = count
    return found


class Importer:
    def __init__(self):
        self.counts = Counter()
        self.users = {}
        self.missing_users = set()
        self.pending = defaultdict(list)
        self.parents = []
        self.tag_ids = {}
        self.article_ids = []
        self.rich_articles = []
        self.rich_updates = []

    def user_id(self, username):
        if username is None:
            return None
        if username not in self.users:
            user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username})
            self.users[username] = user.values_list("pk", flat=True).first()
            if self.users[username] is None:
                self.missing_users.add(username)
        return self.users[username]

    def build(self, model, data, line, extra=None):
        obj = model()
        known = {field.name: field for field in model._meta.concrete_fields}
        for name, value in data.items():
            field = known.get(name)
            if field is None:
                raise ContentFormatError(
                    f"line {line}: {model.__name__} has no field {name!r}; this file comes "
                    "from a different version of Newsroom"
                )
            if _is_user_fk(field):
                value = self.user_id(value)
            elif isinstance(field, models.FileField):
                # Checked before it is set: an image field opens its file to measure it.
                _safe_media_path(value, line, f"{model.__name__}.{name}")
            elif not field.is_relation:
                try:
                    value = field.to_python(value)
                except Exception as error:
                    raise ContentFormatError(
                        f"line {line}: {model.__name__}.{name}: {error}"
                    ) from error
            setattr(obj, field.attname, value)
        for name, value in (extra or {}).items():
            setattr(obj, name, value)
        return obj

    def restore_user(self, record):
        user_model = get_user_model()
        username = record["username"]
        user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            user = user_model(**{user_model.USERNAME_FIELD: username})
            for name in ("email", "first_name", "last_name", "is_staff", "is_active"):
                if name in record and hasattr(user, name):
                    setattr(user, name, record[name])
            user.set_unusable_password()
            user.save()
            user.groups.set(Group.objects.filter(name__in=record.get("groups", [])))
            self.counts["users created"] += 1
        self.users[username] = user.pk

    def add(self, name, record, line):
        record = dict(record)
        if name == "user":
            self.restore_user(record)
            self.counts[name] += 1
            return
        model = TOP_LEVEL.get(name)
        if model is None:
            raise ContentFormatError(f"line {line}: unknown record type {name!r}")
        nested = {key: record.pop(key, []) for key in NESTED.get(name, {})}
        extra = {}
        if name == "article":
            bylines = record.pop("bylines", [])
            tags = record.pop("tags", [])
            redirects = record.pop("redirects", [])
            body_images = record.pop("body_images", [])
            body_embeds = record.pop("body_embeds", [])
        if name == "comment" and record.get("parent") is not None:
            self.parents.append((record["id"], record["parent"]))
            extra["parent_id"] = None
        obj = self.build(model, record, line, extra)
        derive(obj, line)
        if obj.pk is None:
            raise ContentFormatError(f"line {line}: a {name} record without an id")
        self.pending[model].append(obj)
        if name == "tag":
            self.tag_ids[obj.slug] = obj.pk
        if name == "article":
            self.article_ids.append(obj.pk)
            if not obj.body_html and obj.body:
                self.rich_articles.append(obj.pk)
            for position, author_id in enumerate(bylines):
                self.pending[Byline].append(
                    Byline(article_id=obj.pk, author_id=author_id, position=position)
                )
            for slug in tags:
                if slug not in self.tag_ids:
                    raise ContentFormatError(f"line {line}: unknown tag {slug!r}")
                self.pending[TaggedArticle].append(
                    TaggedArticle(content_object_id=obj.pk, tag_id=self.tag_ids[slug])
                )
            self.pending[BodyImage] += [
                BodyImage(article_id=obj.pk, image_id=pk) for pk in body_images
            ]
            self.pending[BodyEmbed] += [
                BodyEmbed(article_id=obj.pk, embed_id=pk) for pk in body_embeds
            ]
            for path in redirects:
                self.pending[SlugRedirect].append(SlugRedirect(old_path=path, article_id=obj.pk))
        for key, (child_model, owner) in NESTED.get(name, {}).items():
            for child in nested[key]:
                row = self.build(child_model, child, line, {f"{owner}_id": obj.pk})
                derive(row, line)
                if isinstance(row, LiveUpdate) and not row.body_html and row.body:
                    self.rich_updates.append(row.pk)
                self.pending[child_model].append(row)
        self.counts[name] += 1
        if len(self.pending[model]) >= BATCH:
            self.flush()

    def flush(self):
        # Owners before the rows that point at them.
        for model in CONTENT_MODELS:
            rows = self.pending.pop(model, [])
            # bulk_create: rows are restored as exported (versions and times included);
            # their derived data was made again by derive() as each record was read.
            iterator = iter(rows)
            while batch := list(islice(iterator, BATCH)):
                model.objects.bulk_create(batch)

    def finish(self):
        self.flush()
        replies = [Comment(pk=pk, parent_id=parent) for pk, parent in self.parents]
        Comment.objects.bulk_update(replies, ["parent"], batch_size=BATCH)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), CONTENT_MODELS):
                cursor.execute(sql)
        # Foreign keys are checked at commit; check them now, inside the transaction, so a
        # dangling id is an error that names the file rather than a failed commit.
        connection.check_constraints(table_names=[m._meta.db_table for m in CONTENT_MODELS])
        from articles.body import rerender

        for start in range(0, len(self.rich_articles), BATCH):
            rerender(Article.objects.filter(pk__in=self.rich_articles[start : start + BATCH]))
        from articles.body import rerender_updates

        rerender_updates(LiveUpdate.objects.filter(pk__in=self.rich_updates))


def import_content(lines):
    """Restore an export into an empty database. `lines` is an iterable of text lines.
    Returns (counts, missing usernames). Raises ContentFormatError; call it inside a
    transaction so a failure leaves nothing behind."""
    found = existing_content()
    if found:
        summary = ", ".join(f"{count} {name}" for name, count in found.items())
        raise ContentFormatError(
            f"the database already holds content ({summary}); import_content only restores "
            "into an empty database"
        )
    importer = Importer()
    header = None
    end = None
    number = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if end is not None:
            raise ContentFormatError(f"line {number}: records after the end record")
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ContentFormatError(f"line {number}: not valid JSON ({error.msg})") from error
        if not isinstance(record, dict) or "type" not in record:
            raise ContentFormatError(f"line {number}: a record must be an object with a type")
        kind = record.pop("type")
        if header is None:
            if kind != "header" or record.get("format") != FORMAT:
                raise ContentFormatError(
                    f"line {number}: not a Newsroom content export (no {FORMAT} header)"
                )
            if record.get("version") != VERSION:
                raise ContentFormatError(
                    f"line {number}: export format version {record.get('version')} is not "
                    f"supported (this Newsroom reads version {VERSION})"
                )
            header = record
            continue
        if kind == "end":
            end = record
            continue
        importer.add(kind, record, number)
    if header is None:
        raise ContentFormatError("the file is empty")
    if end is None:
        raise ContentFormatError(
            f"the file ends at line {number} without its end record: it looks truncated"
        )
    importer.finish()
    written = {k: v for k, v in importer.counts.items() if k != "users created"}
    expected = {k: v for k, v in end.get("counts", {}).items() if v}
    if written != expected:
        raise ContentFormatError(f"record counts {written} differ from the end record {expected}")
    from .common import reindex_search

    reindex_search(importer.article_ids)
    return importer.counts, sorted(importer.missing_users)
