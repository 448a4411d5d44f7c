import contextlib
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .rendering import fingerprint, render_comment, thread_html
from .signals import comment_moderated

logger = logging.getLogger(__name__)

STATUS_VALUES = ["pending", "approved", "rejected", "spam"]
# The fields a comment's finished thread markup shows (`Comment.html`).
SHOWN_IN_THREAD = {"name", "body", "created_at", "article", "article_id"}


def keyed_hash(purpose, value):
    """A keyed HMAC: the same input gives the same hash, which cannot be reversed
    without the key. Used for addresses and reporters; the raw value is never kept."""
    secret = settings.COMMENTS_HASH_KEY or None
    return salted_hmac(f"comments.{purpose}", value, secret=secret, algorithm="sha256").hexdigest()


class ModerationConflict(Exception):
    """Someone else changed the comment's status first; nothing was changed."""


class AlreadyReported(Exception):
    """This reader has already reported this comment."""


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def in_moderation(self):
        """The queue: comments waiting for a moderator, oldest first."""
        return self.filter(status=Comment.Status.PENDING).order_by("created_at", "id")

    def by_same_authors(self):
        """Every comment whose author wrote one of these: the same e-mail address or
        the same address hash."""
        emails = {email.lower() for email in self.exclude(email="").values_list("email", flat=True)}
        hashes = set(self.exclude(ip_hash="").values_list("ip_hash", flat=True))
        if not emails and not hashes:
            return self.none()
        return Comment.objects.filter(Q(email__in=emails) | Q(ip_hash__in=hashes))

    def ban_authors(self, *, by, action="reject", note="", reject_pending=False):
        """Ban the authors of these comments by e-mail address and address hash (what
        is already banned stays as it is) and, if asked, reject what they have waiting
        in the queue. Returns (bans made, comments rejected)."""
        made = 0
        who = by.get_username() if by is not None else "a moderator"
        for pk, email, ip_hash in self.order_by("pk").values_list("pk", "email", "ip_hash"):
            targets = {"email": email.strip().lower(), "ip_hash": ip_hash}
            for field, value in targets.items():
                if value and not BlockedCommenter.objects.filter(**{field: value}).exists():
                    BlockedCommenter.objects.create(
                        **{field: value},
                        action=action,
                        note=note or f"Banned from comment #{pk} by {who}",
                        created_by=by,
                    )
                    made += 1
        rejected = 0
        if reject_pending:
            for comment in self.by_same_authors().in_moderation():
                with contextlib.suppress(ModerationConflict):
                    comment.reject(by=by, reason="Banned commenter: rejected with the ban.")
                    rejected += 1
        return made, rejected

    def counts(self, article):
        """The approved thread's counts: `total` comments, `top` (top-level) ones."""
        return self.filter(article=article, status=Comment.Status.APPROVED).aggregate(
            total=Count("id"), top=Count("id", filter=Q(parent__isnull=True))
        )

    def thread_page(
        self, article, page_number, per_page=None, *, closed=False, counts=None, kept=True
    ):
        """One page of an article's approved thread in one query, however many comments
        there are: the page's top-level comments and their replies (and one more for
        the counts, unless the page read them with the article: `counts`, a dict of
        `total` and `top`). Each comment comes as the finished markup stored when it
        was saved (the closed form, without Reply links, when comments have closed).
        The first page comes whole, without a query, from the list kept with the
        article (comments/thread.py), which a reader who finds none makes and keeps.

        Returns a dict for the template: `total`, `page`, `pages`, `list_html` (the
        finished list and its page links) and, when it was joined now, `comments`
        (top-level, each a dict of its `html` and its `replies`' markup)."""
        from . import thread

        first = page_number <= 1 and per_page in (None, settings.COMMENTS_PER_PAGE)
        if first and kept and hasattr(article, "thread_html_generation"):
            whole = thread.usable(article.thread_html) or thread.make(article)
            return {
                "total": whole["total"],
                "page": 1,
                "pages": whole["pages"],
                "list_html": whole["closed" if closed else "open"],
            }
        per_page = per_page or settings.COMMENTS_PER_PAGE
        markup = "html_closed" if closed else "html"
        approved = self.filter(article=article, status=Comment.Status.APPROVED)
        if counts is None:
            counts = self.counts(article)
        pages = max(1, -(-counts["top"] // per_page))
        page = min(max(1, page_number), pages)
        start = (page - 1) * per_page
        shown = (
            approved.filter(parent__isnull=True)
            .order_by("created_at", "id")
            .values("id")[start : start + per_page]
        )
        rows = list(
            approved.filter(Q(id__in=shown) | Q(parent_id__in=shown))
            .order_by("created_at", "id")
            .values_list("id", "parent_id", markup)
        )
        threads = {pk: {"html": html, "replies": []} for pk, parent, html in rows if not parent}
        for _pk, parent, html in rows:
            if parent in threads:
                threads[parent]["replies"].append(html)
        data = {
            "total": counts["total"],
            "top": counts["top"],
            "comments": list(threads.values()),
            "page": page,
            "pages": pages,
            "page_range": range(1, pages + 1),
        }
        data["list_html"] = thread.render_list(data)
        return data


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SPAM = "spam", "Spam"

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        help_text="The signed-in account that wrote it, if any.",
    )
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True, help_text="Never shown to readers.")
    body = models.TextField(help_text="As the reader typed it.")
    body_html = models.TextField(editable=False, help_text="Rendered once, when saved.")
    html = models.TextField(
        editable=False,
        blank=True,
        help_text="The whole comment as the thread shows it, made when saved.",
    )
    html_closed = models.TextField(
        editable=False,
        blank=True,
        help_text="The same once comments on the article have closed (no Reply link).",
    )
    body_fingerprint = models.CharField(
        max_length=64,
        editable=False,
        blank=True,
        help_text="Hash of the normalised text; finds the same text posted again.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    moderation_reason = models.TextField(
        blank=True, help_text="Why auto-moderation or a moderator gave this status."
    )
    created_at = models.DateTimeField(default=timezone.now)
    ip_hash = models.CharField(
        max_length=64, blank=True, help_text="Keyed hash of the address; never the address."
    )
    user_agent = models.CharField(max_length=500, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    wp_id = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, editable=False, help_text="WordPress comment ID."
    )
    form_nonce = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="The one-use nonce of the form it was posted with; a form serves one post.",
    )

    objects = CommentQuerySet.as_manager()

    # What the posting form found that is not stored, for auto-moderation to read
    # (set by CommentForm.get_comment()): seconds the form was open, None when its
    # token was missing or forged; and the honeypot field's content.
    form_age = None
    honeypot = ""

    class Meta:
        ordering = ["created_at", "id"]
        permissions = [("can_moderate", "Can moderate comments")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=STATUS_VALUES), name="comment_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="comment_not_own_parent"
            ),
            models.UniqueConstraint(
                fields=["form_nonce"], condition=~Q(form_nonce=""), name="comment_form_nonce_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="comment_queue"),
            models.Index(fields=["article", "status", "created_at"], name="comment_thread"),
            models.Index(fields=["ip_hash", "created_at"], name="comment_by_address"),
            models.Index(fields=["body_fingerprint", "created_at"], name="comment_fingerprint"),
            models.Index(fields=["email", "created_at"], name="comment_by_email"),
        ]

    def __str__(self):
        return f"{self.display_name} on “{self.article.headline[:60]}”: {self.body[:40]}"

    def save(self, *args, **kwargs):
        self.body_html = render_comment(self.body)
        self.body_fingerprint = fingerprint(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            derived = set()
            if "body" in update_fields:
                derived |= {"body_html", "body_fingerprint"}
            if SHOWN_IN_THREAD.intersection(update_fields):
                derived |= {"html", "html_closed"}
            kwargs["update_fields"] = {*update_fields, *derived}
        if self.pk is not None:
            self.render_html()
            super().save(*args, **kwargs)
            return
        # The finished markup names the comment's id, which a new row gets on insert;
        # both in one transaction, so nobody reads the row without its markup.
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            self.render_html()
            Comment.objects.filter(pk=self.pk).update(html=self.html, html_closed=self.html_closed)

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#comment-{self.pk}"

    @property
    def display_name(self):
        return self.name or "Anonymous"

    def render_html(self):
        """Make the comment's finished markup for the thread, open and closed."""
        self.html = thread_html(self, reply=True)
        self.html_closed = thread_html(self, reply=False)

    @property
    def reasons(self):
        return [line for line in self.moderation_reason.splitlines() if line.strip()]

    def approve(self, by=None, reason=""):
        return self.moderate(self.Status.APPROVED, by=by, reason=reason)

    def reject(self, by=None, reason=""):
        return self.moderate(self.Status.REJECTED, by=by, reason=reason)

    def mark_spam(self, by=None, reason=""):
        return self.moderate(self.Status.SPAM, by=by, reason=reason)

    def moderate(self, to_status, *, by=None, reason="", expected=None):
        """Move the comment from the status this instance holds (or `expected`) to
        `to_status`, and record who did it. The one place a status changes after
        posting: admin actions, the queue's buttons and keyboard all come here.

        The UPDATE names the status the moderator saw, so when two moderators act
        at once the second finds nothing to update and gets `ModerationConflict`
        instead of silently overwriting the first."""
        from_status = expected or self.status
        if to_status not in STATUS_VALUES:
            raise ValueError(f"Unknown status {to_status!r}")
        if from_status == to_status:
            raise ModerationConflict(f"Comment #{self.pk} is already {to_status}.")
        now = timezone.now()
        actor = by if by is not None and by.is_authenticated else None
        with transaction.atomic():
            changed = Comment.objects.filter(pk=self.pk, status=from_status).update(
                status=to_status, moderated_by=actor, moderated_at=now
            )
            if not changed:
                current = (
                    Comment.objects.filter(pk=self.pk)
                    .values_list("status", "moderated_by__username")
                    .first()
                )
                if current is None:
                    raise ModerationConflict(f"Comment #{self.pk} no longer exists.")
                status, who = current
                by_whom = f" by {who}" if who else ""
                raise ModerationConflict(
                    f"Comment #{self.pk} was already changed to {status}{by_whom}; "
                    f"your change to {to_status} was not applied."
                )
            ModerationEvent.objects.create(
                comment=self,
                actor=actor,
                from_status=from_status,
                to_status=to_status,
                reason=reason,
                created_at=now,
            )
            self.status, self.moderated_by, self.moderated_at = to_status, actor, now
            comment_moderated.send(
                sender=Comment,
                comment=self,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
            )
        return self

    def record_posted(self):
        """Save a new comment with the status auto-moderation gave it, and log that
        decision as the comment's first event."""
        with transaction.atomic():
            self.save()
            ModerationEvent.objects.create(
                comment=self,
                from_status="",
                to_status=self.status,
                reason=self.moderation_reason,
                created_at=self.created_at,
            )
        return self

    def flag(self, *, reason, reporter_hash, reporter=None):
        """A reader's report. Enough reports made since the comment was last approved
        send it back to the queue (a moderator's approval starts the count afresh);
        every report is mailed to the moderators once it is committed."""
        from .notifications import notify_report

        try:
            with transaction.atomic():
                flag = CommentFlag.objects.create(
                    comment=self,
                    reason=reason,
                    reporter=reporter if reporter and reporter.is_authenticated else None,
                    reporter_hash=reporter_hash,
                )
        except IntegrityError as exc:
            raise AlreadyReported("You have already reported this comment.") from exc
        count = self.flags.since_approval().count()
        threshold = settings.COMMENTS_FLAG_THRESHOLD
        if threshold and count >= threshold and self.status == self.Status.APPROVED:
            # If a moderator acted at the same moment, their decision stands.
            reason = (
                f"Reader reports: {count} since it was last approved "
                f"(the threshold is {threshold})."
            )
            with contextlib.suppress(ModerationConflict):
                self.moderate(self.Status.PENDING, reason=reason)
                self.moderation_reason = "\n".join([*self.reasons, reason])
                Comment.objects.filter(pk=self.pk).update(moderation_reason=self.moderation_reason)
        transaction.on_commit(lambda: notify_report(flag.pk), robust=True)
        return flag


class CommentFlagQuerySet(models.QuerySet):
    def since_approval(self):
        """Reports made after their comment last became approved (its `moderated_at`),
        or all of them when no one ever approved it."""
        return self.filter(
            Q(comment__moderated_at__isnull=True) | Q(created_at__gt=F("comment__moderated_at"))
        )


class CommentFlag(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=300)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    reporter_hash = models.CharField(
        max_length=64, help_text="Keyed hash identifying the reporter (account or address)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommentFlagQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter_hash"], name="one_flag_per_reporter"
            ),
        ]

    def __str__(self):
        return f"Report on comment {self.comment_id}: {self.reason[:40]}"


class ModerationEvent(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="Empty when auto-moderation or a reader's reports made the change.",
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_status__in=STATUS_VALUES)
                & (Q(from_status="") | Q(from_status__in=STATUS_VALUES)),
                name="moderation_event_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["-created_at"], name="moderation_event_created")]

    def __str__(self):
        return f"{self.from_status or 'new'} → {self.to_status} on comment {self.comment_id}"


class BlockedTerm(models.Model):
    class Action(models.TextChoices):
        HOLD = "hold", "Hold for review"
        REJECT = "reject", "Reject"
        SPAM = "spam", "Mark as spam"

    term = models.CharField(max_length=100, unique=True)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.HOLD)

    class Meta:
        ordering = ["term"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["hold", "reject", "spam"]), name="blocked_term_action_valid"
            ),
            models.CheckConstraint(condition=~Q(term=""), name="blocked_term_not_empty"),
        ]

    def __str__(self):
        return self.term

    def clean(self):
        from .rendering import words

        if not words(self.term):
            raise ValidationError({"term": "A blocked term needs at least one letter or digit."})


class BlockedCommenter(models.Model):
    """A ban: future comments from this e-mail address or address hash are held,
    rejected or marked as spam."""

    class Action(models.TextChoices):
        HOLD = "hold", "Hold for review"
        REJECT = "reject", "Reject"
        SPAM = "spam", "Mark as spam"

    email = models.EmailField(blank=True, help_text="Matched without regard to case.")
    ip_hash = models.CharField(
        max_length=64, blank=True, help_text="The address hash shown on the commenter's comments."
    )
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.HOLD)
    note = models.CharField(max_length=300, blank=True, help_text="Why; for other moderators.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(ip_hash=""), name="blocked_commenter_has_target"
            ),
            models.CheckConstraint(
                condition=Q(action__in=["hold", "reject", "spam"]),
                name="blocked_commenter_action_valid",
            ),
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="blocked_commenter_email_unique"
            ),
            models.UniqueConstraint(
                fields=["ip_hash"], condition=~Q(ip_hash=""), name="blocked_commenter_ip_unique"
            ),
        ]

    def __str__(self):
        return self.email or f"address {self.ip_hash[:12]}…"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        self.ip_hash = self.ip_hash.strip()
        super().save(*args, **kwargs)
