"""The records beside the queue: reports, the moderation history, blocked terms and bans."""

from django.contrib import admin

from newsroom.admin import ReadOnlyAdminMixin

from ..models import BlockedCommenter, BlockedTerm, CommentFlag, ModerationEvent


@admin.register(CommentFlag)
class CommentFlagAdmin(admin.ModelAdmin):
    list_display = ["comment", "reason", "created_at"]
    list_select_related = ["comment__article"]
    readonly_fields = ["comment", "reason", "reporter", "reporter_hash", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ModerationEvent)
class ModerationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["comment", "actor", "from_status", "to_status", "reason", "created_at"]
    list_filter = ["to_status"]
    list_select_related = ["comment__article", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(BlockedTerm)
class BlockedTermAdmin(admin.ModelAdmin):
    list_display = ["term", "action"]
    list_filter = ["action"]
    search_fields = ["term"]


@admin.register(BlockedCommenter)
class BlockedCommenterAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "ip_hash", "action", "note", "created_by", "created_at"]
    list_filter = ["action"]
    search_fields = ["email", "=ip_hash", "note"]
    list_select_related = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
