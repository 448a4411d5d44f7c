"""Live coverage at the desk: the breaking news banner, and the updates of live
articles (posted from the article's own page; see ArticleAdmin's live views)."""

import datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, URLField
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import workflow
from ..forms import LiveUpdateForm
from ..models import Article, Author, Breaking, LiveUpdate
from .labels import NamedDateTimeMixin

#: The post form shares the article's page: its fields' names and ids start with this.
LIVE_PREFIX = "live"
#: How long a new banner shows unless the editor says otherwise.
BANNER_HOURS = 2


@admin.register(Breaking)
class BreakingAdmin(NamedDateTimeMixin, admin.ModelAdmin):
    list_display = ["text", "starts_at", "ends_at", "showing"]
    fields = ["text", "article", "url", "starts_at", "ends_at"]
    autocomplete_fields = ["article"]
    date_hierarchy = "starts_at"
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    @admin.display(boolean=True, description="Showing now")
    def showing(self, obj):
        return obj.starts_at <= timezone.now() < obj.ends_at

    def get_changeform_initial_data(self, request):
        now = timezone.now().replace(second=0, microsecond=0)
        return {
            "starts_at": now,
            "ends_at": now + datetime.timedelta(hours=BANNER_HOURS),
            **super().get_changeform_initial_data(request),
        }

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class LiveDesk:
    """Mixed into ArticleAdmin: on a live article's change page, the compact "post an
    update" form (Ctrl+Enter posts) and its updates with publish, pin and withdraw.
    Reporters write drafts; who publishes is `workflow.can_publish_update`."""

    LIVE_ACTIONS = {
        "publish": "Publish",
        "withdraw": "Withdraw",
        "pin": "Pin",
        "unpin": "Unpin",
        "key": "Mark as key event",
        "unkey": "Not a key event",
    }
    LIVE_LIST = 50

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/live/post/",
                wrap(require_POST(self.live_post_view)),
                name="articles_article_live_post",
            ),
            path(
                "<path:object_id>/live/<int:update_id>/<str:action>/",
                wrap(require_POST(self.live_action_view)),
                name="articles_article_live_action",
            ),
            *super().get_urls(),
        ]

    def live_desk(self, request, article, form=None):
        """What the change page shows of a live article's updates, or None."""
        if article is None or article.kind != Article.Kind.LIVE:
            return None
        user = request.user
        if not workflow.can_post_update(user, article):
            return None
        updates = list(
            article.live_updates.select_related("author").order_by(
                F("published_at").desc(nulls_first=True), "-id"
            )[: self.LIVE_LIST]
        )
        if form is None:
            author = Author.objects.filter(user=user).first()
            form = LiveUpdateForm(
                prefix=LIVE_PREFIX, initial={"author": author} if author else None
            )
        return {
            "form": form,
            "updates": updates,
            "can_publish": workflow.can_publish_update(user, article),
            "post_url": reverse("admin:articles_article_live_post", args=[article.pk]),
        }

    def _live_article(self, request, object_id):
        article = get_object_or_404(Article, pk=unquote(object_id))
        if not workflow.can_post_update(request.user, article):
            raise PermissionDenied
        return article

    def _back(self, article):
        return HttpResponseRedirect(
            reverse("admin:articles_article_change", args=[article.pk]) + "#live-desk"
        )

    def live_post_view(self, request, object_id):
        article = self._live_article(request, object_id)
        publish = "_publish" in request.POST
        if publish and not workflow.can_publish_update(request.user, article):
            raise PermissionDenied("Only an editor may publish updates.")
        form = LiveUpdateForm(
            request.POST, prefix=LIVE_PREFIX, instance=LiveUpdate(article=article)
        )
        if not form.is_valid():
            # The change page again, with the text and its errors: nothing is lost.
            request.method = "GET"
            return self.change_view(request, str(article.pk), extra_context={"live_form": form})
        with transaction.atomic():
            update = form.save(commit=False)
            update.created_by = request.user
            update.save()
            if publish:
                update.publish(by=request.user)
        if publish:
            messages.success(request, "The update is on the site.")
        else:
            messages.success(request, "The update is saved as a draft for an editor.")
        return self._back(article)

    def live_action_view(self, request, object_id, update_id, action):
        article = self._live_article(request, object_id)
        update = get_object_or_404(LiveUpdate, pk=update_id, article=article)
        if action not in self.LIVE_ACTIONS:
            raise Http404("No such action.")
        if not workflow.can_publish_update(request.user, article):
            raise PermissionDenied("Only an editor may do that.")
        try:
            if action == "publish":
                update.publish(by=request.user)
            elif action == "withdraw":
                update.withdraw(by=request.user)
            else:
                field = "pinned" if action in ("pin", "unpin") else "key_event"
                setattr(update, field, action in ("pin", "key"))
                update.save()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{self.LIVE_ACTIONS[action]}: done.")
        return self._back(article)


@admin.register(LiveUpdate)
class LiveUpdateAdmin(admin.ModelAdmin):
    """An update's own form, for editing its text (posted from its article's page)."""

    form = LiveUpdateForm
    list_display = ["__str__", "article", "status", "published_at", "pinned", "key_event"]
    list_filter = ["status", "pinned", "key_event"]
    list_select_related = ["article"]
    search_fields = ["title", "body"]
    fields = ["title", "body", "author", "pinned", "key_event", "loaded_version"]
    autocomplete_fields = ["author"]

    def has_add_permission(self, request):
        return False  # updates are posted from their live article's page

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or obj.status == LiveUpdate.Status.DRAFT:
            return workflow.can_post_update(request.user, obj.article) if obj else True
        # What readers see changes only by those who may publish it.
        return workflow.can_publish_update(request.user, obj.article)

    def response_change(self, request, obj):
        messages.success(request, "The update is saved.")
        return HttpResponseRedirect(
            reverse("admin:articles_article_change", args=[obj.article_id]) + "#live-desk"
        )
