"""The desk's own records: revisions, the history of what was done to each story, who
is told, the notes the desk leaves on a story, and the text a writer has not saved yet."""

import datetime
import re

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from .article import Article


class Revision(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    data = models.JSONField(help_text="Snapshot of the editable fields, bylines and tags.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at"], name="revision_article")]

    def __str__(self):
        return f"Revision of {self.article} at {self.created_at:%Y-%m-%d %H:%M}"


class ArticleEvent(models.Model):
    """Who did what to a story, when: the desk's history. Kept when the story is deleted."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        SUBMIT = "submit", "Submitted for review"
        RETURN_TO_DRAFT = "return_to_draft", "Sent back to draft"
        PUBLISH = "publish", "Published"
        SCHEDULE = "schedule", "Scheduled"
        WITHDRAW = "withdraw", "Withdrawn"
        RESTORE = "restore", "Restored a version"
        ASSIGN = "assign", "Assigned"
        DELETE = "delete", "Deleted"

    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["article", "-created_at"], name="articleevent_article"),
            models.Index(fields=["-created_at"], name="articleevent_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    action__in=[
                        "create",
                        "submit",
                        "return_to_draft",
                        "publish",
                        "schedule",
                        "withdraw",
                        "restore",
                        "assign",
                        "delete",
                    ]
                ),
                name="articleevent_action_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()}: {self.article or self.detail}"


class Notification(models.Model):
    """A story waits for someone, or moved on: shown in the admin, e-mailed after commit."""

    class Verb(models.TextChoices):
        SUBMITTED = "submitted", "sent for review"
        RETURNED = "returned", "sent back to draft"
        PUBLISHED = "published", "published"
        ASSIGNED = "assigned", "assigned to you"
        MENTIONED = "mentioned", "has a note for you"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verb = models.CharField(max_length=20, choices=Verb.choices)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    verb__in=["submitted", "returned", "published", "assigned", "mentioned"]
                ),
                name="notification_verb_valid",
            ),
        ]

    def __str__(self):
        who = self.actor.get_username() if self.actor else "Someone"
        return f"{who}: “{self.article}” {self.get_verb_display()}"


# An @name not preceded by a word character, so that an e-mail address is no mention;
# what follows may be any character a username may hold (letters, digits, @.+-_).
MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")


NOTE_MAX_LENGTH = 2000


def _written_mentions(text):
    """Each @name in `text` as the usernames it may be: as written, and without the
    punctuation that ends a sentence ("ask @ana." mentions ana)."""
    return [(m.group(1), m.group(1).rstrip(".-") or m.group(1)) for m in MENTION.finditer(text)]


def desk_users():
    """The people who work on the desk: active staff who may open the stories."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    perms = Permission.objects.filter(
        content_type__app_label="articles", codename__in=["view_article", "change_article"]
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            models.Q(is_superuser=True)
            | models.Q(groups__permissions__in=perms)
            | models.Q(user_permissions__in=perms)
        )
        .distinct()
    )


class EditorialNote(models.Model):
    """A note the desk leaves on a story ("check the quote with @ana"): never shown to
    readers, never in feeds, the API, sitemaps, search or the export. Saving one never
    saves the story, so no reader's cache is touched."""

    MAX_LENGTH = NOTE_MAX_LENGTH

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text="Who wrote it (empty once their account is deleted).",
    )
    text = models.TextField(
        help_text=f"Up to {NOTE_MAX_LENGTH} characters; @username tells someone on the desk."
    )
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="mentioned_in_notes",
        help_text="The people the text mentions (@username), found when it is saved.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["article", "created_at"], name="editorialnote_article")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(text=""),
                name="editorialnote_text_not_empty",
                violation_error_message="A note needs some text.",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), NOTE_MAX_LENGTH),
                name="editorialnote_text_length",
                violation_error_message=f"A note has at most {NOTE_MAX_LENGTH} characters.",
            ),
            # Resolving sets both; the resolver may later lose their account (SET_NULL),
            # so only "a resolver without a time" is impossible.
            models.CheckConstraint(
                condition=models.Q(resolved_by__isnull=True) | models.Q(resolved_at__isnull=False),
                name="editorialnote_resolved_by_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(resolved_at__gte=models.F("created_at")),
                name="editorialnote_resolved_after_written",
            ),
        ]

    def __str__(self):
        return f"Note on {self.article_id}: {self.text[:40]}"

    def save(self, *args, **kwargs):
        """Saves the note and, when its text is new, who it mentions: adding a mention
        announces it (m2m_changed), and the notifications listener tells that person."""
        with transaction.atomic():
            super().save(*args, **kwargs)
            fields = kwargs.get("update_fields")
            if fields is None or "text" in fields:
                self.mentions.set(self.mentionable())

    def mentionable(self):
        """The desk's people the text names with @username (only those: a name nobody
        has, or someone who cannot open the desk, mentions nobody)."""
        names = {name for written in _written_mentions(self.text) for name in written}
        if not names:
            return []
        return list(desk_users().filter(username__in=names))

    def unknown_mentions(self):
        """The @names written that mention nobody, as written, once each."""
        found = {user.get_username() for user in self.mentions.all()}
        return list(
            dict.fromkeys(
                stripped
                for written, stripped in _written_mentions(self.text)
                if written not in found and stripped not in found
            )
        )

    @property
    def is_resolved(self):
        return self.resolved_at is not None

    def resolve(self, *, by):
        if self.is_resolved:
            return
        self.resolved_at, self.resolved_by = timezone.now(), by
        self.save(update_fields=["resolved_at", "resolved_by"])

    def reopen(self, *, by):
        if not self.is_resolved:
            return
        self.resolved_at = self.resolved_by = None
        self.save(update_fields=["resolved_at", "resolved_by"])

    def segments(self):
        """The text in pieces for the desk to show, each (text, user) with the user a
        mention to highlight, or None (read with prefetched mentions)."""
        people = {user.get_username(): user for user in self.mentions.all()}
        pieces, start = [], 0
        for match in MENTION.finditer(self.text):
            written = match.group(1)
            name = next((n for n in (written, written.rstrip(".-")) if n in people), None)
            if name is None:
                continue
            pieces.append((self.text[start : match.start()], None))
            pieces.append(("@" + name, people[name]))
            start = match.start() + 1 + len(name)
        pieces.append((self.text[start:], None))
        return [(text, user) for text, user in pieces if text]


#: How long an autosave nobody came back to is kept (manage.py purge_autosaves).
KEEP_DAYS = 30


class Autosave(models.Model):
    """What a writer had typed in the article form, kept while they type: one per writer
    and story (`article` empty for the story being added), separate from the revisions.
    Nothing reads it but that writer's own form, offering to restore it."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(help_text="The form's fields, by name, as the writer left them.")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="autosave_one_per_story"),
            # NULLs are distinct in the constraint above: one unsaved story per writer.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(article__isnull=True),
                name="autosave_one_new_story",
            ),
        ]
        indexes = [models.Index(fields=["saved_at"], name="autosave_saved_at")]

    def __str__(self):
        return f"Autosave of {self.article or 'a new story'} by {self.user}"

    @classmethod
    def keep(cls, user, article_id, data):
        """Store `data` as the writer's autosave of the story (None: the one being added),
        in one query once the row exists; returns the time it was saved."""
        now = timezone.now()
        if article_id is not None:
            # INSERT … ON CONFLICT DO UPDATE: one statement, on SQLite and PostgreSQL.
            cls.objects.bulk_create(
                [cls(user=user, article_id=article_id, data=data, saved_at=now)],
                update_conflicts=True,
                unique_fields=["user", "article"],
                update_fields=["data", "saved_at"],
            )
            return now
        # A partial unique index is no ON CONFLICT target in Django: update, else insert.
        mine = cls.objects.filter(user=user, article__isnull=True)
        if not mine.update(data=data, saved_at=now):
            try:
                with transaction.atomic():
                    cls.objects.create(user=user, article=None, data=data, saved_at=now)
            except IntegrityError:  # a second tab inserted it first
                mine.update(data=data, saved_at=now)
        return now

    @classmethod
    def purge(cls, days=KEEP_DAYS):
        """Delete the autosaves not touched for `days` days; returns how many."""
        cutoff = timezone.now() - datetime.timedelta(days=days)
        deleted, _by_model = cls.objects.filter(saved_at__lt=cutoff).delete()
        return deleted

    @classmethod
    def discard(cls, user, article, *, added=False):
        """The form was saved: the writer's autosave of it is spent (and, for a story just
        added, the one kept while it had no id)."""
        spent = models.Q(article=article)
        if added:
            spent |= models.Q(article__isnull=True)
        cls.objects.filter(spent, user=user).delete()
