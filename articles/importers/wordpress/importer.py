"""WordPress items to articles, comments, authors, sections, tags and old links.

The importer reads the file twice (reader.read_items): the first pass checks the whole
file and collects the authors, terms and attachments; the second imports posts one at a
time. The command wraps everything in one transaction.
"""

import datetime
import re
import zoneinfo
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from articles.models import Article, SlugRedirect
from comments.models import Comment

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
from .body import convert_content
from .media import MediaLibrary
from .reader import Header, WXRError, item_date, read_items
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
    paths = {f"/?p={wp_id}"}
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
        self.current = None  # the WordPress post being imported, for error messages

    def run(self):
        """Check the whole file, then import it. Call inside a transaction."""
        for _ in read_items(self.path, self.header):
            continue
        posts = self.header.items.get("post", 0)
        bar = self.progress(posts)
        with transaction.atomic():
            for item in read_items(self.path, Header()):
                post_type = item.get("wp:post_type", "").strip() or "post"
                if post_type != "post":
                    self.summary.skipped[f"{post_type} items"] += 1
                    if item["comments"]:
                        self.summary.skipped[f"comments on {post_type} items"] += len(
                            item["comments"]
                        )
                    continue
                self.current = item.get("wp:post_id", "").strip()
                self.import_post(item)
                bar.update(1)
        bar.close()
        self.summary.created.update(self.catalogue.created)
        return self.summary

    # -- posts -------------------------------------------------------------

    def import_post(self, item):
        title = one_line(item.get("title", ""))
        try:
            wp_id = int(item.get("wp:post_id", "").strip())
        except ValueError as error:
            raise WXRError(
                f"{self.path.name}: the post {title!r} has no valid <wp:post_id>"
            ) from error
        wp_status = item.get("wp:status", "").strip()
        if wp_status not in POST_STATUS:
            self.summary.skipped[f"posts with status {wp_status or 'none'}"] += 1
            return
        status = POST_STATUS[wp_status]
        if item.get("wp:post_password", "").strip() and status == Article.Status.PUBLISHED:
            # A newsroom has no password-protected pages: keep it off the public site.
            status = Article.Status.DRAFT
            self.summary.notes.append(
                f"post {wp_id} ({title or 'untitled'}) was password-protected: imported as a draft"
            )
        body = convert_content(item.get("content:encoded", ""))
        published_at = item_date(item, "post_date", self.site_tz)
        created_at = published_at or datetime.datetime.now(datetime.UTC)
        if status != Article.Status.PUBLISHED:
            published_at = None
        headline = headline_from(title, html_to_text(body), f"Untitled (WordPress post {wp_id})")

        article = Article.objects.filter(wp_id=wp_id).first()
        slug_base = slugify(unquote(item.get("wp:post_name", "").strip())) or slugify(headline)
        slug = unique_article_slug(
            slug_base or f"post-{wp_id}", suffix=wp_id, exclude_pk=article.pk if article else None
        )
        section, tags = self.terms(item)
        values = {
            "headline": headline,
            "slug": slug,
            "standfirst": html_to_text(item.get("excerpt:encoded", "")),
            "body": body,
            "section": section,
            "status": status,
            "published_at": published_at,
            "created_at": created_at,
            "featured": item.get("wp:is_sticky", "").strip() == "1",
            "comments_enabled": item.get("wp:comment_status", "open").strip() == "open",
        }
        created = article is None
        if created:
            article = Article(wp_id=wp_id, **values)
            article.lead_image = self.media.lead_image(item, None)
            article.save()
            changed = True
        else:
            changed = False
            for name, value in values.items():
                current = getattr(article, name)
                if current != value:
                    setattr(article, name, value)
                    changed = True
            if article.lead_image_id is None:
                image = self.media.lead_image(item, None)
                if image is not None:
                    article.lead_image = image
                    changed = True
            else:
                self.media.lead_image(item, article.lead_image)
            if changed:
                article.save()
        changed |= set_bylines(article, [self.author(item.get("dc:creator", ""))])
        changed |= set_tags(article, tags)
        self.summary.articles["created" if created else "updated" if changed else "unchanged"] += 1
        if changed:
            self.summary.changed_article_ids.add(article.pk)
        self.summary.article_ids.add(article.pk)
        label = status if not article.is_scheduled else "scheduled"
        self.summary.statuses[label] += 1
        self.redirects(item, wp_id, article)
        self.import_comments(item, article)

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
        categories = [
            (nicename, one_line(name))
            for domain, nicename, name in item["categories"]
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
        for domain, nicename, name in item["categories"]:
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
                    f"not pointed at WordPress post {wp_id}"
                )

    # -- comments ------------------------------------------------------------

    def import_comments(self, item, article):
        comments = []
        for data in item["comments"]:
            kind = data.get("wp:comment_type", "").strip()
            if kind in PING_TYPES:
                self.summary.skipped[f"{kind}s"] += 1
                continue
            try:
                data["id"] = int(data.get("wp:comment_id", "").strip())
                data["parent"] = int(data.get("wp:comment_parent", "0").strip() or 0)
            except ValueError as error:
                raise WXRError(
                    f"{self.path.name}: a comment on post {article.wp_id} has no valid "
                    "<wp:comment_id>"
                ) from error
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
        parent = saved.get(data["parent"])
        email = data.get("wp:comment_author_email", "").strip()
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        if len(email) > Comment._meta.get_field("email").max_length:
            email = ""
        values = {
            "article_id": article.pk,
            "parent_id": parent.pk if parent else None,
            "name": truncate_words(one_line(data.get("wp:comment_author", "")), 100) or "Anonymous",
            "email": email,
            "body": html_to_text(data.get("wp:comment_content", "")) or "(no text)",
            "status": status,
            "created_at": item_date(data, "comment_date", self.site_tz)
            or article.published_at
            or article.created_at,
            "moderation_reason": "Imported from WordPress.",
        }
        comment = existing.get(data["id"])
        if comment is None:
            comment = Comment(wp_id=data["id"], **values)
            comment.save()
            self.summary.comments["created"] += 1
        else:
            changed = [name for name, value in values.items() if getattr(comment, name) != value]
            if changed:
                for name in changed:
                    setattr(comment, name, values[name])
                comment.save()
                self.summary.comments["updated"] += 1
            else:
                self.summary.comments["unchanged"] += 1
        saved[data["id"]] = comment
        self.summary.comment_statuses[status] += 1


class _NoProgress:
    def update(self, n):
        pass

    def close(self):
        pass
