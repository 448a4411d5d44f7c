"""Auto-moderation: an ordered pipeline of small rules run on every new comment.

Each rule looks at the unsaved comment the form built (`CommentForm.get_comment()`,
which also says how long the form was open and what the honeypot held) and either
has nothing to say (None) or proposes a `Verdict`: a status and a reason a
moderator can read. A spam or reject verdict ends the pipeline; "hold" verdicts
collect their reasons and keep the comment in the queue; trust may approve only
when nothing was held. Whatever no rule approved waits for a moderator
(pre-moderation).

The per-address rate limit (`ratelimit.py`) runs before all of this, in the posting
view, because its answer is a 429 to the reader rather than a status on a comment;
the text itself was checked once, by the form.
"""

import dataclasses
import datetime
import difflib
import re

from django.conf import settings
from django.utils import timezone

from .models import BlockedCommenter, BlockedTerm, Comment
from .rendering import fingerprint, normalise
from .terms import matching_terms

PENDING = Comment.Status.PENDING
APPROVED = Comment.Status.APPROVED
REJECTED = Comment.Status.REJECTED
SPAM = Comment.Status.SPAM

ACTION_STATUS = {"hold": PENDING, "reject": REJECTED, "spam": SPAM}

# Stable beginnings of each rule's reason, so the queue can filter by reason.
REASON_LABELS = {
    "honeypot": "Honeypot",
    "timing": "Form timing",
    "banned": "Banned commenter",
    "duplicate": "Duplicate",
    "wave": "Spam wave",
    "term": "Blocked term",
    "links": "Too many links",
    "trusted": "Trusted",
    "reports": "Reader reports",
    "default": "Pre-moderation",
}


@dataclasses.dataclass(frozen=True)
class Verdict:
    status: str
    reason: str


# Rules --------------------------------------------------------------------------


def rule_honeypot(comment):
    if comment.honeypot:
        return Verdict(SPAM, f"{REASON_LABELS['honeypot']}: the hidden field was filled in.")
    return None


def rule_timing(comment):
    if comment.form_age is None:
        return Verdict(SPAM, f"{REASON_LABELS['timing']}: no valid form timestamp.")
    minimum = settings.COMMENTS_MIN_FORM_SECONDS
    if comment.form_age < minimum:
        return Verdict(
            SPAM,
            f"{REASON_LABELS['timing']}: posted {max(comment.form_age, 0):.1f} s after the form "
            f"was shown (minimum {minimum} s).",
        )
    return None


def rule_banned(comment):
    query = None
    from django.db.models import Q

    if comment.email:
        query = Q(email__iexact=comment.email.strip())
    if comment.ip_hash:
        query = query | Q(ip_hash=comment.ip_hash) if query else Q(ip_hash=comment.ip_hash)
    if query is None:
        return None
    ban = BlockedCommenter.objects.filter(query).order_by("-created_at").first()
    if ban is None:
        return None
    by = "e-mail address" if ban.email and comment.email.strip().lower() == ban.email else "address"
    note = f" ({ban.note})" if ban.note else ""
    return Verdict(ACTION_STATUS[ban.action], f"{REASON_LABELS['banned']}: blocked by {by}{note}.")


def _same_commenter(comment):
    from django.db.models import Q

    query = Q()
    if comment.user is not None and comment.user.is_authenticated:
        query |= Q(user=comment.user)
    if comment.email:
        query |= Q(email=comment.email.strip().lower())
    if comment.ip_hash:
        query |= Q(ip_hash=comment.ip_hash)
    return query


def rule_duplicate(comment):
    query = _same_commenter(comment)
    if not query:
        return None
    since = timezone.now() - datetime.timedelta(days=7)
    recent = (
        Comment.objects.filter(query, created_at__gte=since)
        .order_by("-created_at")
        .values_list("id", "body", "body_fingerprint")[:20]
    )
    mine = fingerprint(comment.body)
    text = " ".join(normalise(comment.body).split())
    for pk, body, their_fingerprint in recent:
        if mine and their_fingerprint == mine:
            return Verdict(REJECTED, f"{REASON_LABELS['duplicate']}: same text as comment #{pk}.")
        other = " ".join(normalise(body).split())
        if difflib.SequenceMatcher(None, text, other).ratio() >= 0.9:
            return Verdict(
                PENDING, f"{REASON_LABELS['duplicate']}: nearly the same text as comment #{pk}."
            )
    return None


def rule_spam_wave(comment):
    mine = fingerprint(comment.body)
    needed = settings.COMMENTS_SPAM_WAVE_ARTICLES
    if not mine or not needed:
        return None
    since = timezone.now() - datetime.timedelta(days=1)
    articles = set(
        Comment.objects.filter(body_fingerprint=mine, created_at__gte=since)
        .exclude(article=comment.article)
        .values_list("article_id", flat=True)
        .distinct()[:needed]
    )
    if len(articles) + 1 >= needed:
        return Verdict(
            SPAM,
            f"{REASON_LABELS['wave']}: the same text was posted on {len(articles) + 1} "
            "articles within a day.",
        )
    return None


_SEVERITY = {PENDING: 1, REJECTED: 2, SPAM: 3}


def rule_blocked_terms(comment):
    found = matching_terms([comment.name, comment.body], list(BlockedTerm.objects.all()))
    if not found:
        return None
    worst = max(found, key=lambda term: _SEVERITY[ACTION_STATUS[term.action]])
    listed = ", ".join(f"“{term.term}”" for term in found)
    return Verdict(ACTION_STATUS[worst.action], f"{REASON_LABELS['term']}: {listed}.")


_LINK = re.compile(r"\bhttps?://|\bwww\.", re.IGNORECASE)


def rule_links(comment):
    count = len(_LINK.findall(normalise(comment.body)))
    limit = settings.COMMENTS_MAX_LINKS
    if count > limit:
        return Verdict(PENDING, f"{REASON_LABELS['links']}: {count} (the limit is {limit}).")
    return None


def rule_trust(comment):
    """Trust comes from a signed-in account only, never from a typed name or e-mail."""
    user = comment.user
    if not settings.COMMENTS_AUTO_APPROVE_TRUSTED or user is None or not user.is_authenticated:
        return None
    if user.is_staff:
        return Verdict(
            APPROVED, f"{REASON_LABELS['trusted']}: staff account {user.get_username()}."
        )
    history = Comment.objects.filter(user=user)
    if history.filter(status__in=[REJECTED, SPAM]).exists():
        return None
    if history.filter(status=APPROVED).exists():
        return Verdict(
            APPROVED,
            f"{REASON_LABELS['trusted']}: account {user.get_username()} has approved comments.",
        )
    return None


RULES = [
    rule_honeypot,
    rule_timing,
    rule_banned,
    rule_duplicate,
    rule_spam_wave,
    rule_blocked_terms,
    rule_links,
    rule_trust,
]


def run(comment, rules=None):
    """Decide a new comment's status: set `status` and `moderation_reason` on it and
    return (status, [reasons])."""
    status, reasons = _decide(comment, rules or RULES)
    comment.status, comment.moderation_reason = status, "\n".join(reasons)
    return status, reasons


def _decide(comment, rules):
    held = []
    for rule in rules:
        verdict = rule(comment)
        if verdict is None:
            continue
        if verdict.status in (SPAM, REJECTED):
            return verdict.status, [*held, verdict.reason]
        if verdict.status == PENDING:
            held.append(verdict.reason)
        elif verdict.status == APPROVED and not held:
            return APPROVED, [verdict.reason]
    if not held:
        held.append(f"{REASON_LABELS['default']}: waiting for a moderator.")
    return PENDING, held
