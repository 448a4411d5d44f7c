"""Auto-moderation: an ordered pipeline of small rules run on every new comment.

Each rule looks at a `Submission` and either has nothing to say (None) or proposes
a `Verdict`: a status and a reason a moderator can read. A spam or reject verdict
ends the pipeline; "hold" verdicts collect their reasons and keep the comment in
the queue; trust may approve only when nothing was held. Whatever no rule
approved waits for a moderator (pre-moderation).

The per-address rate limit runs before all of this, in the posting view, because
its answer is a 429 to the reader rather than a status on a comment.
"""

import contextlib
import dataclasses
import datetime
import difflib
import re
import unicodedata

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils import timezone

from newsroom.net import client_ip

from .models import BlockedCommenter, BlockedTerm, Comment, keyed_hash
from .rendering import fingerprint, normalise

PENDING = Comment.Status.PENDING
APPROVED = Comment.Status.APPROVED
REJECTED = Comment.Status.REJECTED
SPAM = Comment.Status.SPAM

ACTION_STATUS = {"hold": PENDING, "reject": REJECTED, "spam": SPAM}

# Stable beginnings of each rule's reason, so the queue can filter by reason.
REASON_LABELS = {
    "shape": "Body not acceptable",
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


@dataclasses.dataclass
class Submission:
    article: object
    body: str
    name: str = ""
    email: str = ""
    parent: object = None
    user: object = None
    ip_hash: str = ""
    honeypot: str = ""
    # Seconds between rendering the form and posting; None when the signed
    # timestamp was missing or forged.
    form_age: float | None = None


def address_hash(request):
    return keyed_hash("ip", client_ip(request))


# Rate limit -------------------------------------------------------------------


def _rate_keys(ip_hash):
    hour = int(timezone.now().timestamp() // 3600)
    return f"comments:rate:short:{ip_hash}", f"comments:rate:hour:{ip_hash}:{hour}"


def _count_up(key, timeout=3600):
    """Raise a shared counter atomically (Redis INCR) and return the new value."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def _count_down(key):
    with contextlib.suppress(ValueError):  # the window ended meanwhile
        cache.decr(key)


@dataclasses.dataclass
class Slot:
    """A place taken in the rate limit for one post; given back when the post
    is not stored (form errors, a closed article), so mistakes do not count."""

    short_key: str = ""
    stamp: float = 0.0
    hour_key: str = ""

    def release(self):
        if self.short_key and cache.get(self.short_key) == self.stamp:
            cache.delete(self.short_key)
        if self.hour_key:
            _count_down(self.hour_key)
        self.short_key = self.hour_key = ""


class RateLimited(Exception):
    pass


def take_slot(ip_hash):
    """Take this address's place for one post, or raise RateLimited with the
    message for the reader. Both checks are atomic in the shared cache (add
    and incr), so a burst of simultaneous posts cannot all slip through."""
    short_key, hour_key = _rate_keys(ip_hash)
    slot = Slot()
    interval = settings.COMMENTS_RATE_LIMIT_INTERVAL
    if interval:
        now = timezone.now().timestamp()
        if not cache.add(short_key, now, timeout=interval):
            # The stored time decides, so the limit follows the application's
            # clock rather than the cache server's expiry.
            last = cache.get(short_key)
            if last is not None and now - last < interval:
                raise RateLimited(
                    f"You are posting too quickly. Please wait {interval} seconds between "
                    "comments and try again; your text is kept below."
                )
            cache.set(short_key, now, timeout=interval)
        slot.short_key, slot.stamp = short_key, now
    hourly = settings.COMMENTS_RATE_LIMIT_HOURLY
    if hourly:
        slot.hour_key = hour_key
        if _count_up(hour_key) > hourly:
            slot.release()
            raise RateLimited(
                f"You have posted {hourly} comments in the last hour, the most we accept. "
                "Please try again later; your text is kept below."
            )
    return slot


def _report_key(ip_hash):
    hour = int(timezone.now().timestamp() // 3600)
    return f"comments:rate:reports:{ip_hash}:{hour}"


def take_report_slot(ip_hash):
    """Reports share the hourly cap of posts (counted apart), so one address
    cannot flood the moderators' inbox or pull every comment off the page."""
    hourly = settings.COMMENTS_RATE_LIMIT_HOURLY
    slot = Slot()
    if hourly:
        slot.hour_key = _report_key(ip_hash)
        if _count_up(slot.hour_key) > hourly:
            slot.release()
            raise RateLimited(
                f"You have sent {hourly} reports in the last hour. Please try again later."
            )
    return slot


# Signed form timestamp ----------------------------------------------------------

_SIGNER_SALT = "comments.form-token"


def form_token(article_id):
    return signing.TimestampSigner(salt=_SIGNER_SALT).sign(str(article_id))


class ExpiredForm(Exception):
    pass


def form_age(token, article_id):
    """Seconds since the form carrying `token` was rendered for this article;
    None when the token is missing or forged. Raises ExpiredForm when it is
    genuine but too old, so an honest reader gets a fresh form, not a spam mark."""
    if not token:
        return None
    signer = signing.TimestampSigner(salt=_SIGNER_SALT)
    try:
        value = signer.unsign(token, max_age=settings.COMMENTS_FORM_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ExpiredForm from exc
    except signing.BadSignature:
        return None
    if value != str(article_id):
        return None
    timestamp = signing.b62_decode(token.split(signer.sep)[-2])
    return timezone.now().timestamp() - timestamp


# Rules --------------------------------------------------------------------------

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def body_problem(body):
    """Why a body cannot be accepted at all (shown to the reader as a form error)."""
    if body is None or not body.strip():
        return "The comment is empty."
    if "\x00" in body:
        return "The comment contains a NUL character."
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in body):
        return "The comment contains control characters."
    if len(body) > settings.COMMENTS_MAX_LENGTH:
        limit = settings.COMMENTS_MAX_LENGTH
        return f"The comment is too long ({len(body)} characters; the most is {limit})."
    return None


def rule_shape(sub):
    problem = body_problem(sub.body) or body_problem(sub.name or "x")
    if problem:
        return Verdict(REJECTED, f"{REASON_LABELS['shape']}: {problem}")
    return None


def rule_honeypot(sub):
    if sub.honeypot:
        return Verdict(SPAM, f"{REASON_LABELS['honeypot']}: the hidden field was filled in.")
    return None


def rule_timing(sub):
    if sub.form_age is None:
        return Verdict(SPAM, f"{REASON_LABELS['timing']}: no valid form timestamp.")
    minimum = settings.COMMENTS_MIN_FORM_SECONDS
    if sub.form_age < minimum:
        return Verdict(
            SPAM,
            f"{REASON_LABELS['timing']}: posted {max(sub.form_age, 0):.1f} s after the form "
            f"was shown (minimum {minimum} s).",
        )
    return None


def rule_banned(sub):
    query = None
    from django.db.models import Q

    if sub.email:
        query = Q(email__iexact=sub.email.strip())
    if sub.ip_hash:
        query = query | Q(ip_hash=sub.ip_hash) if query else Q(ip_hash=sub.ip_hash)
    if query is None:
        return None
    ban = BlockedCommenter.objects.filter(query).order_by("-created_at").first()
    if ban is None:
        return None
    by = "e-mail address" if ban.email and sub.email.strip().lower() == ban.email else "address"
    note = f" ({ban.note})" if ban.note else ""
    return Verdict(ACTION_STATUS[ban.action], f"{REASON_LABELS['banned']}: blocked by {by}{note}.")


def _same_commenter(sub):
    from django.db.models import Q

    query = Q()
    if sub.user is not None and sub.user.is_authenticated:
        query |= Q(user=sub.user)
    if sub.email:
        query |= Q(email=sub.email.strip().lower())
    if sub.ip_hash:
        query |= Q(ip_hash=sub.ip_hash)
    return query


def rule_duplicate(sub):
    query = _same_commenter(sub)
    if not query:
        return None
    since = timezone.now() - datetime.timedelta(days=7)
    recent = (
        Comment.objects.filter(query, created_at__gte=since)
        .order_by("-created_at")
        .values_list("id", "body", "body_fingerprint")[:20]
    )
    mine = fingerprint(sub.body)
    text = " ".join(normalise(sub.body).split())
    for pk, body, their_fingerprint in recent:
        if mine and their_fingerprint == mine:
            return Verdict(REJECTED, f"{REASON_LABELS['duplicate']}: same text as comment #{pk}.")
        other = " ".join(normalise(body).split())
        if difflib.SequenceMatcher(None, text, other).ratio() >= 0.9:
            return Verdict(
                PENDING, f"{REASON_LABELS['duplicate']}: nearly the same text as comment #{pk}."
            )
    return None


def rule_spam_wave(sub):
    mine = fingerprint(sub.body)
    needed = settings.COMMENTS_SPAM_WAVE_ARTICLES
    if not mine or not needed:
        return None
    since = timezone.now() - datetime.timedelta(days=1)
    articles = set(
        Comment.objects.filter(body_fingerprint=mine, created_at__gte=since)
        .exclude(article=sub.article)
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


def term_pattern(term):
    """Whole words of the normalised term, with any run of spaces or punctuation
    between words, and no word character on either side."""
    parts = re.findall(r"\w+", normalise(term))
    if not parts:
        return None
    return re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, parts)) + r"(?!\w)")


def matching_terms(text, terms):
    haystack = normalise(text)
    found = []
    for term in terms:
        pattern = term_pattern(term.term)
        if pattern and pattern.search(haystack):
            found.append(term)
    return found


_SEVERITY = {PENDING: 1, REJECTED: 2, SPAM: 3}


def rule_blocked_terms(sub):
    found = matching_terms(f"{sub.name}\n{sub.body}", list(BlockedTerm.objects.all()))
    if not found:
        return None
    worst = max(found, key=lambda term: _SEVERITY[ACTION_STATUS[term.action]])
    listed = ", ".join(f"“{term.term}”" for term in found)
    return Verdict(ACTION_STATUS[worst.action], f"{REASON_LABELS['term']}: {listed}.")


_LINK = re.compile(r"\bhttps?://|\bwww\.", re.IGNORECASE)


def rule_links(sub):
    count = len(_LINK.findall(normalise(sub.body)))
    limit = settings.COMMENTS_MAX_LINKS
    if count > limit:
        return Verdict(PENDING, f"{REASON_LABELS['links']}: {count} (the limit is {limit}).")
    return None


def rule_trust(sub):
    """Trust comes from a signed-in account only, never from a typed name or e-mail."""
    user = sub.user
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
    rule_shape,
    rule_honeypot,
    rule_timing,
    rule_banned,
    rule_duplicate,
    rule_spam_wave,
    rule_blocked_terms,
    rule_links,
    rule_trust,
]


def run(sub, rules=None):
    """(status, [reasons]) for a new comment."""
    held = []
    for rule in rules or RULES:
        verdict = rule(sub)
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
