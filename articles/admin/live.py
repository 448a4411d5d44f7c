"""Live coverage at the desk: the breaking news banner, and the updates of live
articles (posted from the article's own page; see ArticleAdmin's live views)."""

import datetime

from django.contrib import admin
from django.db.models import URLField
from django.utils import timezone

from ..models import Breaking

#: How long a new banner shows unless the editor says otherwise.
BANNER_HOURS = 2


@admin.register(Breaking)
class BreakingAdmin(admin.ModelAdmin):
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
