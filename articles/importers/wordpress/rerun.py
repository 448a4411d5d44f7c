"""Running the import again: the desk's decisions stand.

A re-run updates only what the desk has not changed since the last import. Each import
that writes an article stores a `Revision` (no user) whose data carries, under
"wordpress", what WordPress said: the values the import would write. On the next run a
field group is the desk's when the article's value differs from that record; the import
then leaves it alone and says so. Articles imported before these records existed count
as changed by the desk wherever they differ from WordPress.

Comments: the text, name and address of an imported comment are never written again (the
desk may have erased them); its status follows WordPress only while no one has moderated
it since the import, through `Comment.moderate()`, so the change is a ModerationEvent.
"""

from django.db.models import Q

from articles.models import Revision
from articles.revisions import snapshot

# Field groups the desk changes together, by the name the summary uses.
FIELD_GROUPS = {
    "headline": ["headline"],
    "slug": ["slug"],
    "standfirst": ["standfirst"],
    "body": ["body"],
    "section": ["section_id"],
    "status and date": ["status", "published_at"],
    "featured": ["featured"],
    "comments on or off": ["comments_enabled"],
    "lead image": ["lead_image_id"],
    "bylines": ["bylines"],
    "tags": ["tags"],
}
# What a comment's moderation history says when the import set its status.
IMPORT_REASON = "WordPress import"


def _iso(value):
    return value.isoformat() if value else None


def article_state(article):
    """The fields the import writes, in a form that compares and fits in JSON."""
    return {
        "headline": article.headline,
        "slug": article.slug,
        "standfirst": article.standfirst,
        "body": article.body,
        "section_id": article.section_id,
        "status": article.status,
        "published_at": _iso(article.published_at),
        "featured": article.featured,
        "comments_enabled": article.comments_enabled,
        "lead_image_id": article.lead_image_id,
        "bylines": list(article.bylines.order_by("position").values_list("author_id", flat=True)),
        "tags": sorted(article.tags.names(), key=str.lower),
    }


def last_import(article):
    """What the last import recorded WordPress as saying, or None (never recorded)."""
    revision = (
        Revision.objects.filter(article=article, data__has_key="wordpress")
        .order_by("-created_at", "-id")
        .only("data")
        .first()
    )
    return revision.data["wordpress"]["imported"] if revision else None


def find_by_key(key):
    """The article an item without a post id was imported as, by the key recorded then."""
    revision = (
        Revision.objects.filter(data__wordpress__key=key, article__wp_id__isnull=True)
        .select_related("article")
        .order_by("-id")
        .first()
    )
    return revision.article if revision else None


def desk_groups(current, imported):
    """The field groups the desk changed since the import recorded `imported`."""
    return {
        group
        for group, fields in FIELD_GROUPS.items()
        if any(current[name] != imported.get(name) for name in fields)
    }


def record_import(article, imported, *, post_id, key=""):
    """Store the import's revision: the article as it now is, and what WordPress said."""
    data = snapshot(article)
    data["wordpress"] = {"post_id": post_id, "key": key, "imported": imported}
    return Revision.objects.create(article=article, data=data, created_by=None)


def comment_moderated_by_desk(comment):
    """Whether anyone but the import has decided the comment's status since it came."""
    latest = comment.events.order_by("-created_at", "-id").first()
    if latest is None:  # imported before the import recorded events
        return comment.moderated_at is not None
    return not (
        latest.actor_id is None
        and latest.reason.startswith(IMPORT_REASON)
        and latest.to_status == comment.status
    )


def imported_events():
    return Q(actor__isnull=True, reason__startswith=IMPORT_REASON)
