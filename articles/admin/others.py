"""The admins of the articles' companions: sections, authors, series, embeds,
corrections, revisions and slug redirects."""

from django.contrib import admin

from newsroom.admin import ReadOnlyAdminMixin

from .. import body
from ..models import (
    ArticleEvent,
    Author,
    Correction,
    Embed,
    Revision,
    Section,
    Series,
    SlugRedirect,
)


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
            embeds.resolve(found.url, again=True)
            body.rerender(found.articles.all())
        self.message_user(request, "Asked again; the stories showing them are up to date.")


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
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
