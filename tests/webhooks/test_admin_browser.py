"""An editor connects a receiver in the browser: the form, the secret shown once, the
delivery log; under the strict Content-Security-Policy."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from newsroom.models import Webhook, WebhookDelivery
from tests.factories import UserFactory
from tests.security.test_csp_browser import LISTEN, sign_in, violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_editor_adds_a_webhook_and_reads_its_deliveries(browser, live_server, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    # The one permission the feature asks for (the Editor group holds it: test_admin.py);
    # given directly, since transactional tests may run after the groups were emptied.
    user = UserFactory(username="chief", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"JavaScript error: {error}"))
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        sign_in(page, "chief")
        page.goto("/admin/newsroom/webhook/add/")
        page.fill("#id_name", "Slack #news")
        page.fill("#id_url", "http://localhost:9/newsroom")
        page.check("input[name=events][value='article.published']")
        page.check("input[name=events][value='comment.approved']")
        page.screenshot(path=str(ARTIFACTS / "webhook-add.png"), full_page=True)
        page.click("input[name=_save]")
        page.locator("#webhook-secret").wait_for()
        webhook = Webhook.objects.get()
        assert page.input_value("#webhook-secret") == webhook.secret
        page.screenshot(path=str(ARTIFACTS / "webhook-secret.png"), full_page=True)

        WebhookDelivery.objects.create(
            webhook=webhook,
            event="article.published",
            payload={"type": "article.published", "data": {"article": {"id": 1}}},
            status="retrying",
            attempts=2,
            response_code=503,
            response_ms=412,
            error="The receiver answered 503.",
        )
        page.goto(f"/admin/newsroom/webhook/{webhook.pk}/change/")
        assert webhook.secret not in page.content()
        page.screenshot(path=str(ARTIFACTS / "webhook-change.png"), full_page=True)
        page.goto("/admin/newsroom/webhookdelivery/")
        assert "503" in page.content()
        page.screenshot(path=str(ARTIFACTS / "webhook-deliveries.png"), full_page=True)
        assert violations(page) == [], "\n".join(violations(page))
    finally:
        context.close()
