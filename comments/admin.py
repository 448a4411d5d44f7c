from django.contrib import admin

from .models import BlockedTerm, Comment, CommentFlag, ModerationEvent


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["name", "article", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["article"]
    search_fields = ["name", "body"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CommentFlag)
class CommentFlagAdmin(admin.ModelAdmin):
    list_display = ["comment", "reason", "created_at"]
    list_select_related = ["comment"]


@admin.register(ModerationEvent)
class ModerationEventAdmin(admin.ModelAdmin):
    list_display = ["comment", "actor", "from_status", "to_status", "created_at"]
    list_filter = ["to_status"]
    list_select_related = ["comment", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BlockedTerm)
class BlockedTermAdmin(admin.ModelAdmin):
    list_display = ["term", "action"]
    list_filter = ["action"]
    search_fields = ["term"]
