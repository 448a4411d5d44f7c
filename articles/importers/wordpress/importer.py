"""WordPress items to articles, comments, authors, sections, tags and old links.

The importer reads the file twice (reader.read_items): the first pass checks the whole
file and collects the authors, terms and attachments; the second imports posts one at a
time. The command wraps everything in one transaction.
"""

import datetime
import hashlib
import re
import zoneinfo
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from articles.models import Article, SlugRedirect
from comments.models import Comment, ModerationEvent

from ..common import (
    Catalogue,
    headline_from,
    html_to_text,
    one_line,
    set_bylines,
    set_tags,
    truncate_words,
    unique_article_slug,
)
from . import rerun
from .body import Pictures, convert_content
from .media import MediaLibrary
from .reader import REPAIR_NOTES, Header, WXRError, WXRFile, describe, item_date, pub_date
from .summary import Summary

POST_STATUS = {
    "publish": Article.Status.PUBLISHED,
    "future": Article.Status.PUBLISHED,
    "draft": Article.Status.DRAFT,
    "pending": Article.Status.REVIEW,
    "private": Article.Status.DRAFT,
}
COMMENT_STATUS = {
    "1": Comment.Status.APPROVED,
    "approve": Comment.Status.APPROVED,
    "0": Comment.Status.PENDING,
    "hold": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.REJECTED,
    "post-trashed": Comment.Status.REJECTED,
}
PING_TYPES = {"pingback", "trackback"}
# Characters WordPress's sanitize_user() allows in a login.
_LOGIN_JUNK = re.compile(r"[^a-zA-Z0-9 _.\-@]")


def old_paths(item, wp_id):
    """Every address the post answered at on the old site, as request paths."""
    paths = {f"/?p={wp_id}"} if wp_id else set()
    # The guid is not used: it is an identifier, often copied between posts.
    for url in (item.get("link", ""),):
        parts = urlsplit(url.strip())
        if not parts.path and not parts.query:
            continue
        if parts.query and not re.fullmatch(r"(?:p|page_id)=\d+", parts.query):
            continue
        path = unquote(parts.path or "/")
        if parts.query:
            path = f"{path}?{parts.query}"
        if path != "/" and len(path) <= SlugRedirect._meta.get_field("old_path").max_length:
            paths.add(path)
    return sorted(paths)


def _terms(categories):
    """An item's <category> elements as (taxonomy, nicename, name). WordPress before 2.6
    wrote categories without a domain and tags as domain="tag"; WordPress.com wrote both
    forms of each category, which count once."""
    seen, terms = set(), []
    for domain, nicename, name in categories:
        domain = {"": "category", "tag": "post_tag"}.get(domain, domain)
        nicename = nicename or slugify(one_line(name))
        if (domain, one_line(name).lower()) not in seen:
            seen.add((domain, one_line(name).lower()))
            terms.append((domain, nicename, name))
    return terms


class WordPressImporter:
    def __init__(self, path, *, media_dir=None, site_timezone="UTC", progress=None):
        self.path = Path(path)
        self.media_dir = Path(media_dir) if media_dir else None
        self.site_tz = zoneinfo.ZoneInfo(site_timezone)
        self.progress = progress or (lambda total: _NoProgress())
        self.summary = Summary()
        self.catalogue = Catalogue()
        self.header = Header()
        self.media = MediaLibrary(self.header, self.media_dir, self.summary)
        self.current = None  # the WordPress item being imported, for error messages
        self.keys = set()  # keys of the items without a post id seen in this run

    def run(self):
        """Check the whole file, then import it. Call inside a transaction."""
        with WXRFile(self.path) as wxr:
            self.header = wxr.check()
            self.media.header = self.header
            for kind in wxr.repairs:
                self.summary.notes.append(f"{self.path.name}: {REPAIR_NOTES[kind]}")
            bar = self.progress(self.header.items.get("post", 0))
            with transaction.atomic():
                for item in wxr.items():
                    post_type = item.get("wp:post_type", "").strip() or "post"
                    if post_type != "post":
                        self.summary.skipped[f"{post_type} items"] += 1
                        if item["comments"]:
                            self.summary.skipped[f"comments on {post_type} items"] += len(
                                item["comments"]
                            )
                        continue
                    self.current = describe(item)
                    try:
                        self.import_post(item)
                    except (ValueError, TypeError, KeyError, OverflowError) as error:
                        raise WXRError(
                            f"{self.path.name}: {self.current} could not be read: {error}"
                        ) from error
                    bar.update(1)
            bar.close()
        self.summary.created.update(self.catalogue.created)
        return self.summary

    # -- posts -------------------------------------------------------------

    def post_date(self, item, status, article):
        """(published_at, created_at) for the post. A published post without any date
        takes its RSS pubDate, or else the time of its first import; the summary says so."""
        date = item_date(item, "post_date", self.site_tz)
        now = datetime.datetime.now(datetime.UTC)
        if date is None and status == Article.Status.PUBLISHED:
            date, source = pub_date(item), "its RSS pubDate"
            if date is None:
                date = article.published_at if article and article.published_at else now
                source = "the time of the import"
            self.summary.undated[source] += 1
            self.summary.notes.append(
                f"{describe(item)} is published but has no date: dated by {source} "
                f"({date:%Y-%m-%d %H:%M} UTC)"
            )
        created_at = date or (article.created_at if article else now)
        return (date if status == Article.Status.PUBLISHED else None), created_at

    def find_article(self, item, wp_id):
        """(the article this item was imported as, or None; the key of an item without
        a post id)."""
        if wp_id is not None:
            return Article.objects.filter(wp_id=wp_id).first(), ""
        parts = [item.get(name, "").strip() for name in ("guid", "link")]
        key = next((part for part in parts if part), "") or "{}|{}".format(
            one_line(item.get("title", "")), item.get("wp:post_date", "").strip()
        )
        if key in self.keys:  # two items alike: the second is a post of its own
            key = f"{key}#{item['number']}"
        self.keys.add(key)
        return rerun.find_by_key(key), key

    def import_post(self, item):
        title = one_line(item.get("title", ""))
        wp_status = item.get("wp:status", "").strip()
        if wp_status not in POST_STATUS:
            self.summary.skipped[f"posts with status {wp_status or 'none'}"] += 1
            return
        raw_id = item.get("wp:post_id", "").strip()
        wp_id = int(raw_id) if raw_id.isdecimal() and int(raw_id) > 0 else None
        if wp_id is None:
            self.summary.notes.append(
                f"{describe(item)} has no post id: imported, and found again on a re-run by "
                "its guid or link"
            )
        article, key = self.find_article(item, wp_id)
        status = POST_STATUS[wp_status]
        if item.get("wp:post_password", "").strip() and status == Article.Status.PUBLISHED:
            # A newsroom has no password-protected pages: keep it off the public site.
            status = Article.Status.DRAFT
            self.summary.notes.append(
                f"{describe(item)} was password-protected: imported as a draft"
            )
        body = convert_content(
            item.get("content:encoded", ""), Pictures(self.media, self.summary.body, wp_id)
        )
        published_at, created_at = self.post_date(item, status, article)
        suffix = wp_id or hashlib.sha256(key.encode()).hexdigest()[:8]
        headline = headline_from(title, html_to_text(body), f"Untitled (WordPress post {suffix})")
        slug_base = slugify(unquote(item.get("wp:post_name", "").strip())) or slugify(headline)
        slug = unique_article_slug(
            slug_base or f"post-{suffix}", suffix=suffix, exclude_pk=article.pk if article else None
        )
        section, tags = self.terms(item)
        author = self.author(item.get("dc:creator", ""))
        values = {
            "headline": headline,
            "slug": slug,
            "standfirst": html_to_text(item.get("excerpt:encoded", "")),
            "body": body,
            "section": section,
            "status": status,
            "published_at": published_at,
            "featured": item.get("wp:is_sticky", "").strip() == "1",
            "comments_enabled": item.get("wp:comment_status", "open").strip() == "open",
        }
        incoming = {
            **{name: value for name, value in values.items() if name != "section"},
            "section_id": section.pk if section else None,
            "published_at": published_at.isoformat() if published_at else None,
            "bylines": [author.pk],
            "tags": sorted((tag.name for tag in tags), key=str.lower),
        }
        if article is None:
            article = Article(wp_id=wp_id, created_at=created_at, **values)
            article.lead_image = self.media.lead_image(item, None)
            article.save()
            set_bylines(article, [author])
            set_tags(article, tags)
            incoming["lead_image_id"] = article.lead_image_id
            rerun.record_import(article, incoming, post_id=wp_id, key=key)
            outcome = "created"
        else:
            outcome = self.update_post(item, article, values, incoming, author, tags, wp_id, key)
        self.summary.articles[outcome] += 1
        if outcome != "unchanged":
            self.summary.changed_article_ids.add(article.pk)
        self.summary.article_ids.add(article.pk)
        label = article.status if not article.is_scheduled else "scheduled"
        self.summary.statuses[label] += 1
        self.redirects(item, wp_id, article)
        self.import_comments(item, article)

    def update_post(self, item, article, values, incoming, author, tags, wp_id, key):
        """Apply what changed in WordPress to the field groups the desk left alone."""
        current = rerun.article_state(article)
        imported = rerun.last_import(article)
        # Never recorded (imported by an older Newsroom): whatever differs is the desk's.
        baseline = imported
        if baseline is None:
            baseline = {**incoming, "lead_image_id": current["lead_image_id"]}
        desk = rerun.desk_groups(current, baseline)
        if "lead image" not in desk and article.lead_image_id is None:
            incoming["lead_image_id"] = None
            image = self.media.lead_image(item, None)
            if image is not None:
                values["lead_image"] = image
                incoming["lead_image_id"] = image.pk
        else:
            incoming["lead_image_id"] = baseline.get("lead_image_id", article.lead_image_id)
            if article.lead_image_id is not None:
                self.media.lead_image(item, article.lead_image)
        apply = [
            group
            for group, fields in rerun.FIELD_GROUPS.items()
            if group not in desk and any(current[name] != incoming[name] for name in fields)
        ]
        kept = [
            group
            for group in sorted(desk)
            if any(current[name] != incoming[name] for name in rerun.FIELD_GROUPS[group])
        ]
        for group in kept:
            self.summary.kept[group] += 1
        if kept:
            self.summary.notes.append(
                f"{describe(item)}: kept the desk's {', '.join(kept)} (changed since the "
                "last import; WordPress differs)"
            )
        if not apply:
            if imported is None:
                rerun.record_import(article, incoming, post_id=wp_id, key=key)
            return "unchanged"
        was = article.status
        fields = {name for group in apply for name in rerun.FIELD_GROUPS[group]}
        for name, value in values.items():
            if name in fields or f"{name}_id" in fields:
                setattr(article, name, value)
        if fields - {"bylines", "tags"}:
            article.save()
        if "bylines" in fields:
            set_bylines(article, [author])
        if "tags" in fields:
            set_tags(article, tags)
        if article.status != was:
            self.summary.notes.append(
                f"{describe(item)}: status {was} → {article.status}, as in WordPress"
            )
        after = rerun.article_state(article)
        rerun.record_import(
            article, {**incoming, **{name: after[name] for name in fields}}, post_id=wp_id, key=key
        )
        return "updated"

    def author(self, login):
        login = login.strip()
        known = self.header.authors
        if login not in known:
            cleaned = _LOGIN_JUNK.sub("", login).strip()
            login = cleaned if cleaned in known else login
        data = known.get(login)
        if data is None:
            return self.catalogue.author(login or "Staff", slug_hint=login or "staff")
        name = data.get("wp:author_display_name") or " ".join(
            part
            for part in (data.get("wp:author_first_name"), data.get("wp:author_last_name"))
            if part
        )
        return self.catalogue.author(
            one_line(name) or login, slug_hint=login, email=data.get("wp:author_email", "")
        )

    def terms(self, item):
        """The section (the primary category, or the first real one) and the tags (the
        post's tags and its other categories)."""
        item_categories = _terms(item["categories"])
        categories = [
            (nicename, one_line(name))
            for domain, nicename, name in item_categories
            if domain == "category" and nicename != "uncategorized"
        ]
        primary = self.header.categories.get(
            item["meta"].get("_yoast_wpseo_primary_category", "").strip()
        )
        chosen = next((c for c in categories if c[0] == primary), None) or (
            categories[0] if categories else None
        )
        section = (
            self.catalogue.section(chosen[1], slug_hint=unquote(chosen[0])) if chosen else None
        )
        tags = []
        for domain, nicename, name in item_categories:
            if domain == "post_tag" or (
                domain == "category"
                and nicename != "uncategorized"
                and (nicename, one_line(name)) != chosen
            ):
                tag = self.catalogue.tag(one_line(name), slug_hint=unquote(nicename))
                if tag is not None and tag not in tags:
                    tags.append(tag)
        return section, tags

    def redirects(self, item, wp_id, article):
        current = article.get_absolute_url()
        for path in old_paths(item, wp_id):
            if path == current:
                continue
            existing = SlugRedirect.objects.filter(old_path=path).first()
            if existing is None:
                SlugRedirect.objects.create(old_path=path, article=article)
                self.summary.redirects["created"] += 1
            elif existing.article_id == article.pk:
                self.summary.redirects["unchanged"] += 1
            else:
                self.summary.redirects["conflict"] += 1
                self.summary.notes.append(
                    f"old link {path} already leads to article {existing.article_id}; "
                    f"not pointed at {describe(item)}"
                )

    # -- comments ------------------------------------------------------------

    def import_comments(self, item, article):
        comments = []
        for data in item["comments"]:
            kind = data.get("wp:comment_type", "").strip()
            if kind in PING_TYPES:
                self.summary.skipped[f"{kind}s"] += 1
                continue
            raw_id = data.get("wp:comment_id", "").strip()
            if not raw_id.isdecimal() or int(raw_id) == 0:
                self.summary.skipped["comments without a comment id"] += 1
                self.summary.notes.append(
                    f"a comment on {describe(item)} has no <wp:comment_id>: not imported, as "
                    "a re-run could not find it again"
                )
                continue
            data["id"] = int(raw_id)
            parent = data.get("wp:comment_parent", "0").strip()
            data["parent"] = int(parent) if parent.isdecimal() else 0
            comments.append(data)
        by_id = {c["id"]: c for c in comments}

        def depth(comment, seen=()):
            parent = by_id.get(comment["parent"])
            if parent is None or parent["id"] in seen:
                return 0
            return 1 + depth(parent, (*seen, comment["id"]))

        existing = {c.wp_id: c for c in Comment.objects.filter(wp_id__in=list(by_id))}
        saved = {}
        # Parents before their replies: the database checks a reply's parent exists.
        for data in sorted(comments, key=lambda c: (depth(c), c["id"])):
            self.import_comment(data, article, existing, saved)

    def import_comment(self, data, article, existing, saved):
        approved = data.get("wp:comment_approved", "").strip()
        status = COMMENT_STATUS.get(approved)
        if status is None:
            self.summary.skipped[f"comments with status {approved or 'none'}"] += 1
            return
        comment = existing.get(data["id"])
        if comment is not None:
            self.update_comment(comment, status)
            saved[data["id"]] = comment
            self.summary.comment_statuses[comment.status] += 1
            return
        parent = saved.get(data["parent"])
        email = data.get("wp:comment_author_email", "").strip()
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        if len(email) > Comment._meta.get_field("email").max_length:
            email = ""
        comment = Comment(
            wp_id=data["id"],
            article_id=article.pk,
            parent_id=parent.pk if parent else None,
            name=truncate_words(one_line(data.get("wp:comment_author", "")), 100) or "Anonymous",
            email=email,
            body=html_to_text(data.get("wp:comment_content", "")) or "(no text)",
            status=status,
            created_at=item_date(data, "comment_date", self.site_tz)
            or article.published_at
            or article.created_at,
            moderation_reason="Imported from WordPress.",
        )
        comment.save()
        ModerationEvent.objects.create(
            comment=comment,
            from_status="",
            to_status=status,
            reason=f"{rerun.IMPORT_REASON}: {status} in WordPress.",
        )
        self.summary.comments["created"] += 1
        saved[data["id"]] = comment
        self.summary.comment_statuses[status] += 1

    def update_comment(self, comment, status):
        """Only the status of an imported comment follows WordPress, and only while no one
        here has moderated it; its text and author are never written again."""
        if comment.status == status:
            self.summary.comments["unchanged"] += 1
        elif rerun.comment_moderated_by_desk(comment):
            self.summary.comments["kept"] += 1
        else:
            comment.moderate(status, reason=f"{rerun.IMPORT_REASON}: {status} in WordPress.")
            self.summary.comments["updated"] += 1


class _NoProgress:
    def update(self, n):
        pass

    def close(self):
        pass
