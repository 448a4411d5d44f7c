"""Webhooks: what changed, told to the partners who asked, signed, after the commit.

The models announce (post_save of articles and corrections, the comments app's
`comment_moderated` signal); the listeners here, connected by `connect()` from
NewsroomConfig.ready(),
enqueue one small task per event. Nothing here runs in the editor's request beyond
that: `announce` (in a worker) builds the payload and writes one WebhookDelivery per
receiver, and `deliver` POSTs each one, signed as the Standard Webhooks specification
says (webhook-id, webhook-timestamp, webhook-signature), retried with back-off by
newsroom.tasks. A receiver whose deliveries keep failing is switched off, with the
reason on the webhook and a warning in the log (there is no notification model yet).

A scheduled story goes live by the clock, with no save to announce it: scheduling
enqueues `announce_scheduled` to run at its time, which announces it only if the
story is still live at that very time (a rescheduled or withdrawn story is not). An
expiring story leaves the same way: giving a published story an expiry time enqueues
`announce_expired` for that time, which sends `article.withdrawn` only if the story
still expires at that very time (an expiry moved or removed, a story withdrawn by
hand, is not announced again).
"""

import datetime
import http.client
import json
import logging

import standardwebhooks
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.seo import absolute

from . import outbound
from .models import Event, Webhook, WebhookDelivery
from .tasks import GiveUp, background, enqueue_after_commit

logger = logging.getLogger(__name__)

USER_AGENT = "Newsroom-Webhooks/1.0"


class DeliveryFailed(Exception):
    pass


# -- Listeners (connected in NewsroomConfig.ready) ------------------------------------


def _wanted_events():
    """The events some active webhook listens to (one small query)."""
    wanted = set()
    for events in Webhook.objects.filter(active=True).values_list("events", flat=True):
        wanted.update(events or ())
    return wanted


CLOCK_FIELDS = ("status", "published_at", "expires_at")


def article_pre_save(sender, instance, raw=False, **kwargs):
    """Remember whether the story was live before this save, when anyone listens."""
    instance._webhook_wanted = set() if raw else _wanted_events()
    instance._webhook_before = None
    if instance._webhook_wanted and instance.pk is not None:
        instance._webhook_before = (
            sender.objects.filter(pk=instance.pk).values(*CLOCK_FIELDS).first()
        )


def article_saved(sender, instance, raw=False, **kwargs):
    wanted = getattr(instance, "_webhook_wanted", None)
    if raw or not wanted:
        return
    before = instance._webhook_before or dict.fromkeys(CLOCK_FIELDS)
    was_live = type(instance)(**before).is_live
    if instance.is_live:
        event = Event.ARTICLE_UPDATED if was_live else Event.ARTICLE_PUBLISHED
    elif was_live:
        event = Event.ARTICLE_WITHDRAWN
    else:
        event = None
    if event in wanted:
        enqueue_after_commit(announce, event, instance.pk)
    if (
        Event.ARTICLE_PUBLISHED in wanted
        and instance.is_scheduled
        and (before["status"], before["published_at"]) != (instance.status, instance.published_at)
    ):
        _announce_when_live(instance)
    if (
        Event.ARTICLE_WITHDRAWN in wanted
        and instance.status == instance.Status.PUBLISHED
        and instance.expires_at is not None
        and instance.expires_at > timezone.now()
        and (before["status"], before["expires_at"]) != (instance.status, instance.expires_at)
    ):
        _announce_when_expired(instance)


def _announce_when_live(article):
    _announce_at(announce_scheduled, article, article.published_at)


def _announce_when_expired(article):
    _announce_at(announce_expired, article, article.expires_at)


def _announce_at(job, article, moment):
    """Run `job` for `article` at `moment` (it checks the story still has that time)."""
    if not job.get_backend().supports_defer:
        logger.info("Task backend cannot defer; %s of story %s is not run", job.name, article.pk)
        return
    enqueue_after_commit(job.using(run_after=moment), article.pk, moment.isoformat())


def correction_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or not created or Event.ARTICLE_CORRECTED not in _wanted_events():
        return
    if instance.article.is_live:
        enqueue_after_commit(announce, Event.ARTICLE_CORRECTED, instance.pk)


def comment_status_changed(sender, comment, to_status, **kwargs):
    if to_status == "approved" and Event.COMMENT_APPROVED in _wanted_events():
        enqueue_after_commit(announce, Event.COMMENT_APPROVED, comment.pk)


def comment_saved(sender, instance, created=False, raw=False, **kwargs):
    """A comment approved as it is posted (trusted commenters) is approved too."""
    if raw or not created or instance.status != "approved":
        return
    if Event.COMMENT_APPROVED in _wanted_events():
        enqueue_after_commit(announce, Event.COMMENT_APPROVED, instance.pk)


def connect():
    """Called once from NewsroomConfig.ready()."""
    from django.db.models.signals import post_save, pre_save

    from comments.signals import comment_moderated

    receivers = [
        (pre_save, "articles.Article", article_pre_save),
        (post_save, "articles.Article", article_saved),
        (post_save, "articles.Correction", correction_saved),
        (post_save, "comments.Comment", comment_saved),
    ]
    for signal, sender, receiver in receivers:
        signal.connect(receiver, sender=sender, dispatch_uid=f"webhooks-{receiver.__name__}")
    comment_moderated.connect(comment_status_changed, dispatch_uid="webhooks-moderated")


# -- Payloads ---------------------------------------------------------------------------


def _time(value):
    return value.isoformat() if value else None


def _article(article):
    return {
        "id": article.pk,
        "url": absolute(article.get_absolute_url()),
        "headline": article.headline,
        "section": article.section.slug if article.section_id else None,
        "published_at": _time(article.published_at),
        "updated_at": _time(article.updated_at),
    }


def event_data(event, object_id):
    """The `data` of an event's payload, or None when its object is gone."""
    from articles.models import Article, Correction
    from comments.models import Comment

    if event == Event.ARTICLE_CORRECTED:
        correction = Correction.objects.select_related("article__section").filter(pk=object_id)
        correction = correction.first()
        if correction is None:
            return None
        return {
            "article": _article(correction.article),
            "correction": {
                "id": correction.pk,
                "kind": correction.kind,
                "text": correction.text,
                "created_at": _time(correction.created_at),
            },
        }
    if event == Event.COMMENT_APPROVED:
        comment = Comment.objects.select_related("article__section").filter(pk=object_id).first()
        if comment is None:
            return None
        return {
            "comment": {
                "id": comment.pk,
                "url": absolute(comment.get_absolute_url()),
                "approved_at": _time(comment.moderated_at or comment.created_at),
            },
            "article": _article(comment.article),
        }
    article = Article.objects.select_related("section").filter(pk=object_id).first()
    return None if article is None else {"article": _article(article)}


# -- Tasks ------------------------------------------------------------------------------


@background
def announce(event, object_id):
    """Write one delivery per webhook that listens to `event` and enqueue each."""
    data = event_data(event, object_id)
    if data is None:
        return 0
    payload = {"type": event, "timestamp": timezone.now().isoformat(), "data": data}
    receivers = [hook for hook in Webhook.objects.filter(active=True) if hook.wants(event)]
    with transaction.atomic():
        for webhook in receivers:
            delivery = WebhookDelivery.objects.create(webhook=webhook, event=event, payload=payload)
            enqueue_after_commit(deliver, delivery.pk)
    return len(receivers)


@background
def announce_scheduled(article_id, published_at):
    """A scheduled story's time has come: announce it if it is live as scheduled."""
    from articles.models import Article

    article = Article.objects.filter(pk=article_id).first()
    if article is None or not article.is_live:
        return 0
    if article.published_at != datetime.datetime.fromisoformat(published_at):
        return 0  # rescheduled: the task for the new time announces it
    return announce.call(Event.ARTICLE_PUBLISHED, article_id)


@background
def announce_expired(article_id, expires_at):
    """A story's expiry time has come: it has left the site by the clock, so tell the
    receivers `article.withdrawn`, if it still expires at that very time."""
    from articles.models import Article

    article = Article.objects.filter(pk=article_id).first()
    if (
        article is None
        or article.status != Article.Status.PUBLISHED
        or article.expires_at != datetime.datetime.fromisoformat(expires_at)
    ):
        return 0  # withdrawn by hand (announced then), deleted, or its expiry moved
    if not article.is_expired:  # run a moment early: wait for the time itself
        _announce_when_expired(article)
        return 0
    return announce.call(Event.ARTICLE_WITHDRAWN, article_id)


def _retrying(delivery_id, run_after):
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=WebhookDelivery.Status.RETRYING, next_attempt_at=run_after
    )


def _gave_up(delivery_id, error):
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == WebhookDelivery.Status.CANCELLED:
        return
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None
    )
    Webhook.objects.filter(pk=delivery.webhook_id).update(failure_streak=F("failure_streak") + 1)
    webhook = Webhook.objects.get(pk=delivery.webhook_id)
    if webhook.active and webhook.failure_streak >= settings.WEBHOOK_DISABLE_AFTER:
        reason = (
            f"Switched off on {timezone.now():%Y-%m-%d %H:%M} UTC: {webhook.failure_streak} "
            f"deliveries in a row failed. Last error: {error}"
        )[:300]
        Webhook.objects.filter(pk=webhook.pk).update(active=False, disabled_reason=reason)
        logger.warning("Webhook %s (%s) switched off: %s", webhook.pk, webhook.url, reason)


def sign(webhook, message_id, timestamp, body):
    return standardwebhooks.Webhook(webhook.secret).sign(message_id, timestamp, body)


@background(
    attempts=lambda: settings.WEBHOOK_MAX_ATTEMPTS,
    delay=lambda: settings.WEBHOOK_RETRY_DELAY,
    on_retry=_retrying,
    on_give_up=_gave_up,
)
def deliver(delivery_id):
    """POST one delivery, signed; raise (and so retry) unless the receiver answers 2xx."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (
        WebhookDelivery.Status.DELIVERED,
        WebhookDelivery.Status.CANCELLED,
    ):
        return None
    webhook = delivery.webhook
    if not webhook.active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.CANCELLED, next_attempt_at=None
        )
        return None
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    now = datetime.datetime.now(datetime.UTC)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign(webhook, delivery.message_id, now, body),
    }
    record = {"attempts": F("attempts") + 1, "last_attempt_at": timezone.now()}
    try:
        answer = outbound.post(
            webhook.url,
            body.encode(),
            headers,
            timeout=settings.WEBHOOK_TIMEOUT,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE,
        )
    except outbound.AddressRefused as exc:
        _record(delivery, record, error=str(exc))
        raise GiveUp(str(exc)) from exc
    except (OSError, http.client.HTTPException) as exc:
        _record(delivery, record, error=f"{type(exc).__name__}: {exc}")
        raise DeliveryFailed(str(exc)) from exc
    record.update(
        response_code=answer.status, response_ms=answer.elapsed_ms, response_excerpt=answer.excerpt
    )
    if 200 <= answer.status < 300:
        _record(
            delivery,
            record,
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=timezone.now(),
            next_attempt_at=None,
        )
        Webhook.objects.filter(pk=webhook.pk, failure_streak__gt=0).update(failure_streak=0)
        return answer.status
    _record(delivery, record, error=f"The receiver answered {answer.status}.")
    raise DeliveryFailed(f"{webhook.url} answered {answer.status}")


def _record(delivery, fields, error="", **more):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields, error=error[:500], **more)


def resend(delivery):
    """Send a delivery again (the same message, so receivers can tell it is a repeat)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=None, error=""
    )
    enqueue_after_commit(deliver, delivery.pk)
