"""The admins of the articles' companions: sections, authors, series, embeds,
corrections, revisions and slug redirects."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from newsroom.admin import ReadOnlyAdminMixin

from .. import workflow
from ..models import (
    ArticleEvent,
    Author,
    Correction,
    Embed,
    Notification,
    Revision,
    Section,
    Series,
    SlugRedirect,
)
from .labels import NamedDateTimeMixin


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "job_title", "email", "user"]
    search_fields = ["name", "email"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "created_at"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Embed)
class EmbedAdmin(admin.ModelAdmin):
    """What providers said about the addresses embedded in stories (read only); an
    editor may ask a provider again, and the stories showing it are rendered anew."""

    list_display = ["url", "provider", "status", "title", "resolved_at"]
    list_filter = ["status", "provider"]
    search_fields = ["url", "title"]
    readonly_fields = [field.name for field in Embed._meta.fields]
    actions = ["resolve_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(permissions=["change"], description="Ask the provider again")
    def resolve_again(self, request, queryset):
        from .. import embeds

        for found in queryset:
            # The articles and live updates showing it are rendered again when it changed.
            embeds.resolve(found.url, again=True)
        self.message_user(request, "Asked again; the stories showing them are up to date.")


@admin.register(Correction)
class CorrectionAdmin(NamedDateTimeMixin, admin.ModelAdmin):
    list_display = ["article", "kind", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["article"]
    search_fields = ["text", "article__headline"]
    autocomplete_fields = ["article"]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["article", "created_by", "created_at"]
    list_select_related = ["article", "created_by"]
    search_fields = ["article__headline"]
    date_hierarchy = "created_at"


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_path", "article"]
    list_select_related = ["article"]
    search_fields = ["old_path", "article__headline"]
    autocomplete_fields = ["article"]


@admin.register(ArticleEvent)
class ArticleEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The desk's history: who submitted, published, withdrew, restored or deleted what."""

    list_display = ["created_at", "action", "article", "detail", "actor"]
    list_filter = ["action"]
    list_select_related = ["article", "actor"]
    search_fields = ["article__headline", "detail"]
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Each person's own notifications, newest first; nobody reads another's."""

    list_display = ["created_at", "summary", "read"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    actions = ["mark_read"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(recipient=request.user)
            .select_related("actor", "article")
        )

    def has_module_permission(self, request):
        return request.user.is_active and request.user.has_perm(workflow.VIEW)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or obj.recipient_id == request.user.pk
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="What happened")
    def summary(self, obj):
        who = (obj.actor.get_full_name() or obj.actor.get_username()) if obj.actor else "Someone"
        url = reverse("admin:articles_article_change", args=[obj.article_id])
        if obj.verb == Notification.Verb.MENTIONED:
            url += "#desk-notes"
        return format_html(
            '{}: <a href="{}">“{}”</a> {}',
            who,
            url,
            obj.article.headline,
            obj.get_verb_display(),
        )

    @admin.display(description="Read", boolean=True)
    def read(self, obj):
        return obj.read_at is not None

    @admin.action(permissions=["view"], description="Mark as read")
    def mark_read(self, request, queryset):
        queryset.filter(read_at__isnull=True).update(read_at=timezone.now())
