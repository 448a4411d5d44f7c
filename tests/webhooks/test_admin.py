"""The webhooks screens of the admin, as an editor uses them."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from newsroom.models import Webhook, WebhookDelivery
from tests.articles.desk import post_change
from tests.factories import ArticleFactory, AuthorFactory
from tests.receiver import Receiver
from tests.taskrunner import DATABASE_TASKS, run_waiting_tasks

pytestmark = pytest.mark.django_db

ADD = reverse("admin:newsroom_webhook_add")
LIST = reverse("admin:newsroom_webhook_changelist")


def test_editor_adds_a_webhook_and_sees_its_secret_once(client, editor, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    client.force_login(editor)
    response = client.post(
        ADD,
        {
            "name": "Newsletter",
            "url": "https://127.0.0.1:9/hook",
            "events": ["article.published", "article.corrected"],
            "active": "on",
        },
    )
    assert response.status_code == 200
    webhook = Webhook.objects.get()
    assert webhook.created_by == editor
    assert webhook.events == ["article.published", "article.corrected"]
    assert webhook.secret.startswith("whsec_")
    assert webhook.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]

    page = client.get(reverse("admin:newsroom_webhook_change", args=[webhook.pk]))
    assert page.status_code == 200
    assert webhook.secret not in page.content.decode()
    assert webhook.secret_hint in page.content.decode()


def test_a_new_secret_replaces_the_old_one_and_is_shown_once(client, editor):
    webhook = Webhook.objects.create(name="Slack", url="https://example.org/h", events=["a"])
    old = webhook.secret
    url = reverse("admin:newsroom_webhook_new_secret", args=[webhook.pk])
    client.force_login(editor)
    assert client.get(url).status_code == 405
    response = client.post(url)
    webhook.refresh_from_db()
    assert webhook.secret != old
    assert webhook.secret in response.content.decode()


def test_a_private_address_is_a_form_error(client, editor, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(editor)
    response = client.post(
        ADD, {"name": "Inside", "url": "http://169.254.169.254/", "events": ["article.published"]}
    )
    assert response.status_code == 200
    assert "only public addresses are allowed" in response.content.decode()
    assert not Webhook.objects.exists()


def test_no_event_chosen_is_a_form_error(client, editor):
    client.force_login(editor)
    response = client.post(ADD, {"name": "Nothing", "url": "https://example.org/h"})
    assert response.status_code == 200
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("role", ["reporter", "moderator"])
def test_only_editors_manage_webhooks(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("admin:newsroom_webhookdelivery_changelist")).status_code == 403


def test_a_switched_off_webhook_is_announced_on_the_list(client, editor):
    Webhook.objects.create(
        name="Old partner",
        url="https://example.org/h",
        events=["article.published"],
        active=False,
        disabled_reason="Switched off: 5 deliveries in a row failed.",
    )
    client.force_login(editor)
    response = client.get(LIST)
    assert "“Old partner” is switched off. Switched off: 5 deliveries" in response.content.decode()


@override_settings(TASKS=DATABASE_TASKS, WEBHOOK_ALLOW_PRIVATE=True)
def test_a_slow_receiver_never_holds_up_the_editors_publish(client, editor):
    """The editor's request only writes a task row; the worker talks to the receiver."""
    with Receiver(delay=2) as receiver:
        webhook = Webhook.objects.create(
            name="Slow", url=receiver.url, events=["article.published"]
        )
        receiver.secret = webhook.secret
        article = ArticleFactory(
            review=True, authors=[AuthorFactory()]
        )  # nothing for the checklist
        client.force_login(editor)
        response = post_change(client, article, action="publish")
        assert response.status_code == 302
        assert receiver.started == 0, "the receiver was not contacted during the request"
        assert list(DBTaskResult.objects.values_list("task_path", "status")) == [
            ("newsroom.webhooks.announce", "READY")
        ]
        run_waiting_tasks()
        assert receiver.events() == ["article.published"]
    assert WebhookDelivery.objects.get().status == "delivered"


@override_settings(TASKS=DATABASE_TASKS)
def test_resend_from_the_delivery_log(client, editor):
    webhook = Webhook.objects.create(name="P", url="https://example.org/h", events=["x"])
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event="article.published",
        payload={"type": "article.published"},
        status="failed",
        attempts=8,
        error="The receiver answered 500.",
    )
    client.force_login(editor)
    changelist = reverse("admin:newsroom_webhookdelivery_changelist")
    page = client.get(changelist)
    assert "The receiver answered 500." in page.content.decode()  # its last answer
    detail = client.get(reverse("admin:newsroom_webhookdelivery_change", args=[delivery.pk]))
    assert "The receiver answered 500." in detail.content.decode()
    response = client.post(
        changelist, {"action": "resend", "_selected_action": [delivery.pk]}, follow=True
    )
    assert "1 deliveries will be sent again." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert DBTaskResult.objects.get().task_path == "newsroom.webhooks.deliver"
