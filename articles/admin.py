from django.contrib import admin

from .models import Article, Author, Byline, Correction, Image, Revision, Section, SlugRedirect


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


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "credit", "width", "height", "created_at"]
    search_fields = ["alt_text", "caption", "credit"]
    date_hierarchy = "created_at"


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ["author"]


class CorrectionInline(admin.StackedInline):
    model = Correction
    extra = 0


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["headline", "status", "section", "published_at", "updated_at"]
    list_filter = ["status", "section", "featured"]
    list_select_related = ["section"]
    search_fields = ["headline", "standfirst"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "lead_image"]
    inlines = [BylineInline, CorrectionInline]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ["article", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["text", "article__headline"]
    autocomplete_fields = ["article"]


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["article", "created_by", "created_at"]
    list_select_related = ["article", "created_by"]
    search_fields = ["article__headline"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_path", "article"]
    search_fields = ["old_path", "article__headline"]
    autocomplete_fields = ["article"]
