"""The project's admin: a mixin for read-only records, and the webhooks screens."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from . import webhooks
from .models import Event, Webhook, WebhookDelivery, new_secret


class ReadOnlyAdminMixin:
    """For records of what happened (revisions, moderation history, reports): staff can
    list and read them in the admin, never add, change or delete them there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Webhooks: registered here, in the project's own admin module: editors with the
# `newsroom.manage_webhooks` permission manage receivers and read their deliveries.


MANAGE_WEBHOOKS = "newsroom.manage_webhooks"


class WebhookPermissionMixin:
    """One permission covers the whole feature: a partner's address and its secret are
    the desk's business, not a per-action matter."""

    def has_module_permission(self, request):
        return request.user.has_perm(MANAGE_WEBHOOKS)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(MANAGE_WEBHOOKS)

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(MANAGE_WEBHOOKS)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(MANAGE_WEBHOOKS)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(MANAGE_WEBHOOKS)


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        label="URL",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text=Webhook._meta.get_field("url").help_text,
    )
    events = forms.MultipleChoiceField(
        choices=[(value, f"{value}: {label.lower()}") for value, label in Event.choices],
        widget=forms.CheckboxSelectMultiple,
        help_text="The changes this receiver is told about.",
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "events", "active"]


@admin.register(Webhook)
class WebhookAdmin(WebhookPermissionMixin, admin.ModelAdmin):
    form = WebhookForm
    list_display = ["name", "url", "event_list", "active", "failure_streak", "deliveries_link"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret_hint", "disabled_reason", "failure_streak", "created_by"]

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "events", "active"]
        if obj is not None:
            fields += ["secret_hint", "failure_streak", "disabled_reason", "created_by"]
        return fields

    @admin.display(description="Events")
    def event_list(self, obj):
        return ", ".join(obj.events)

    @admin.display(description="Signing secret")
    def secret_hint(self, obj):
        return format_html(
            "<code>{}</code> — shown in full only when made. "
            '<button type="submit" form="webhook-new-secret" class="button">'
            "Make a new secret</button>",
            obj.secret_hint,
        )

    @admin.display(description="Deliveries")
    def deliveries_link(self, obj):
        url = reverse("admin:newsroom_webhookdelivery_changelist") + f"?webhook__id__exact={obj.pk}"
        return format_html('<a href="{}">Deliveries</a>', url)

    def changelist_view(self, request, extra_context=None):
        for hook in Webhook.objects.filter(active=False).exclude(disabled_reason=""):
            messages.warning(request, f"“{hook}” is switched off. {hook.disabled_reason}")
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        elif "active" in form.changed_data and obj.active:
            # Switched on again by an editor: a fresh start.
            obj.failure_streak, obj.disabled_reason = 0, ""
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_secret(request, obj, made=True)

    def get_urls(self):
        return [
            path(
                "<int:pk>/new-secret/",
                self.admin_site.admin_view(self.new_secret_view),
                name="newsroom_webhook_new_secret",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "new_secret_url": reverse("admin:newsroom_webhook_new_secret", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def new_secret_view(self, request, pk):
        return require_POST(self._new_secret)(request, pk)

    def _new_secret(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        webhook = get_object_or_404(Webhook, pk=pk)
        webhook.secret = new_secret()
        webhook.save(update_fields=["secret"])
        return self._show_secret(request, webhook, made=False)

    def _show_secret(self, request, webhook, made):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "webhook": webhook,
            "made": made,
            "title": f"Signing secret for “{webhook}”",
        }
        response = TemplateResponse(request, "admin/newsroom/webhook/secret.html", context)
        # The secret is on this page only: no cache anywhere may keep it.
        response["Cache-Control"] = "no-store"
        return response


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(WebhookPermissionMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "webhook",
        "event_name",
        "status",
        "attempts",
        "response",
        "next_attempt_at",
    ]
    list_filter = ["status", "event", "webhook"]
    list_select_related = ["webhook"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = [
        "webhook",
        "event",
        "message_id",
        "status",
        "attempts",
        "response_code",
        "response_ms",
        "response_excerpt",
        "error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "payload_json",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a log: read, and resend; never edited

    def has_resend_permission(self, request):
        return request.user.has_perm(MANAGE_WEBHOOKS)

    @admin.display(description="Event", ordering="event")
    def event_name(self, obj):
        return format_html("<code>{}</code>", obj.event)

    @admin.display(description="Last answer")
    def response(self, obj):
        if obj.response_code is None:
            return obj.error[:60] or "—"
        return f"{obj.response_code} in {obj.response_ms} ms"

    @admin.display(description="Payload")
    def payload_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    @admin.action(permissions=["resend"], description="Resend the selected deliveries")
    def resend(self, request, queryset):
        sent = skipped = 0
        for delivery in queryset.select_related("webhook"):
            if delivery.webhook.active:
                webhooks.resend(delivery)
                sent += 1
            else:
                skipped += 1
        if sent:
            messages.success(request, f"{sent} deliveries will be sent again.")
        if skipped:
            messages.warning(
                request, f"{skipped} not resent: their webhook is switched off. Switch it on first."
            )
        return redirect(request.get_full_path())
