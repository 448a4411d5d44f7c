"""Webhooks against a real receiver on loopback, signatures checked on its side.

The suite's task backend runs tasks at once (no worker), after the commit; these tests
use real transactions (transactional_db) so on_commit fires as in production.
"""

import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles.models import Article
from newsroom.models import Event, Webhook, WebhookDelivery
from tests.factories import ArticleFactory, CommentFactory, CorrectionFactory
from tests.receiver import Receiver

# Real commits; the tables are restored afterwards for the transactional tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def allow_loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True


def make_webhook(receiver, events=None):
    webhook = Webhook.objects.create(
        name="Partner", url=receiver.url, events=events or Event.values
    )
    receiver.secret = webhook.secret
    return webhook


def test_each_event_reaches_the_receiver_exactly_once_and_signed(allow_loopback, superuser):
    with Receiver() as receiver:
        make_webhook(receiver)
        article = ArticleFactory(draft=True)
        article.publish(by=superuser)
        article.headline = "Council approves the budget, at last"
        article.save()
        CorrectionFactory(article=article)
        comment = CommentFactory(article=article, status="pending")
        comment.approve(by=superuser)
        article.withdraw(by=superuser)

        assert receiver.wait_for(5)
        assert Counter(receiver.events()) == Counter(
            [
                "article.published",
                "article.updated",
                "article.corrected",
                "comment.approved",
                "article.withdrawn",
            ]
        )
        # Every request verified against the secret (a None payload would be a bad signature).
        assert all(payload is not None for _h, _b, payload in receiver.received)
    published = next(p for _h, _b, p in receiver.received if p["type"] == "article.published")
    assert published["data"]["article"]["id"] == article.pk
    assert published["data"]["article"]["url"].endswith(article.get_absolute_url())
    assert published["data"]["article"]["headline"].startswith("Council approves")
    assert WebhookDelivery.objects.filter(status="delivered").count() == 5
    assert set(WebhookDelivery.objects.values_list("response_code", flat=True)) == {200}


def test_a_receiver_only_gets_the_events_it_chose(allow_loopback, superuser):
    with Receiver() as receiver:
        make_webhook(receiver, events=["article.withdrawn"])
        article = ArticleFactory(draft=True)
        article.publish(by=superuser)
        article.withdraw(by=superuser)
        assert receiver.wait_for(1)
    assert receiver.events() == ["article.withdrawn"]


def test_drafts_and_scheduled_stories_announce_nothing_yet(allow_loopback, superuser):
    with Receiver() as receiver:
        make_webhook(receiver)
        draft = ArticleFactory(draft=True)
        draft.headline = "Still a draft"
        draft.save()
        draft.schedule(timezone.now() + datetime.timedelta(hours=2), by=superuser)
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_receiver_that_fails_twice_then_succeeds_gets_it_on_the_third_try(
    allow_loopback, superuser
):
    with Receiver(codes=[500, 503, 200]) as receiver:
        make_webhook(receiver, events=["article.published"])
        ArticleFactory(draft=True).publish(by=superuser)
        assert receiver.wait_for(3)
    ids = {headers["webhook-id"] for headers, _b, _p in receiver.received}
    assert len(ids) == 1, "a retry is the same message, so the receiver can tell"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert delivery.attempts == 3
    assert delivery.response_code == 200
    assert delivery.response_ms is not None


def test_a_webhook_that_keeps_failing_is_switched_off_with_the_reason(
    allow_loopback, superuser, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_DISABLE_AFTER = 2
    with Receiver(codes=[500]) as receiver:
        webhook = make_webhook(receiver, events=["article.published"])
        for _ in range(3):
            ArticleFactory(draft=True).publish(by=superuser)
        # Two deliveries, two attempts each; the third story finds the webhook off.
        assert len(receiver.received) == 4
    webhook.refresh_from_db()
    assert webhook.active is False
    assert "2 deliveries in a row failed" in webhook.disabled_reason
    assert "500" in webhook.disabled_reason
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["failed", "failed"]


def test_a_private_address_is_refused_when_saved(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    for url in (
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ):
        webhook = Webhook(name="Inside", url=url, events=["article.published"])
        with pytest.raises(ValidationError) as caught:
            webhook.full_clean()
        assert "url" in caught.value.message_dict, url


def test_a_private_address_is_refused_again_when_sent(settings, superuser):
    """A name that resolved to a public address when saved may point inside later (DNS
    rebinding): the address is checked again when the delivery is sent."""
    with Receiver() as receiver:
        settings.WEBHOOK_ALLOW_PRIVATE = True
        make_webhook(receiver, events=["article.published"])
        settings.WEBHOOK_ALLOW_PRIVATE = False
        ArticleFactory(draft=True).publish(by=superuser)
    assert receiver.started == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == 1, "a refused address is not tried again and again"
    assert "private, loopback or link-local" in delivery.error


def test_a_switched_off_webhook_gets_nothing(allow_loopback, superuser):
    with Receiver() as receiver:
        webhook = make_webhook(receiver)
        webhook.active = False
        webhook.save()
        ArticleFactory(draft=True).publish(by=superuser)
    assert receiver.received == []


def test_resending_sends_the_same_message_again(allow_loopback, superuser):
    from newsroom import webhooks

    with Receiver() as receiver:
        make_webhook(receiver, events=["article.published"])
        ArticleFactory(draft=True).publish(by=superuser)
        delivery = WebhookDelivery.objects.get()
        webhooks.resend(delivery)
        assert receiver.wait_for(2)
    first, second = (headers["webhook-id"] for headers, _b, _p in receiver.received)
    assert first == second == delivery.message_id
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_a_rolled_back_change_announces_nothing(allow_loopback, superuser):
    from django.db import transaction

    with Receiver() as receiver:
        make_webhook(receiver)
        article = ArticleFactory(draft=True)
        with pytest.raises(RuntimeError), transaction.atomic():
            article.publish(by=superuser)
            raise RuntimeError("the superuser's request failed after the save")
    assert receiver.received == []
    assert Article.objects.get(pk=article.pk).status == "draft"
