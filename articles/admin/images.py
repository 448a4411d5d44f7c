"""The picture library."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from ..forms import ImageAdminForm
from ..models import Image


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageAdminForm
    list_display = ["thumbnail", "alt_text", "credit", "size", "created_at"]
    list_display_links = ["thumbnail", "alt_text"]
    search_fields = ["alt_text", "caption", "credit"]
    date_hierarchy = "created_at"
    readonly_fields = ["focal_point_picker", "size", "rendition_list"]
    fieldsets = [
        (None, {"fields": ["file", "alt_text", "caption", "credit"]}),
        (
            "Focal point",
            {
                "fields": ["focal_point_picker", "focal_x", "focal_y"],
                "description": "Click the part of the picture that must stay in every crop "
                "(a face, the subject). The numbers below are the same point: 0 is the "
                "left or top edge, 1 the right or bottom.",
            },
        ),
        ("Renditions", {"fields": ["size", "rendition_list"], "classes": ["collapse"]}),
    ]

    class Media:
        css = {"all": ["css/admin-desk.css"]}
        js = ["js/admin-focal-point.js"]

    @admin.display(description="Picture")
    def thumbnail(self, obj):
        if not obj.file:
            return "—"
        # The picture is the row's link: its alt text names the link.
        return format_html(
            '<img class="desk-thumb" src="{}" alt="{}" width="80" loading="lazy">',
            obj.rendition_url("w320"),
            obj.alt_text or f"Picture {obj.pk}",
        )

    @admin.display(description="Size")
    def size(self, obj):
        return f"{obj.width} x {obj.height} px" if obj.width else "—"

    @admin.display(description="Picture and focal point")
    def focal_point_picker(self, obj):
        if not obj.file:
            return "Save the picture first; then click it here to set the focal point."
        return format_html(
            '<div class="focal-picker" data-focal-picker>'
            '<img src="{}" alt="{}" data-focal-image>'
            '<span class="focal-marker" data-focal-marker hidden></span></div>',
            obj.rendition_url("w640"),
            obj.alt_text,
        )

    @admin.display(description="Renditions")
    def rendition_list(self, obj):
        names = sorted(obj.renditions or {})
        return ", ".join(names) or "None yet (made when the picture is saved)."

    def get_deleted_objects(self, objs, request):
        """A picture in use is not deleted (single or bulk): the page lists the stories
        that show it, each linked to its form, instead of Django's related rows."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        uses = [
            format_html(
                '“{}” is shown by <a href="{}">{}</a>',
                image,
                reverse("admin:articles_article_change", args=[story.pk]),
                story.headline,
            )
            for image in objs
            for story in image.used_by()
        ]
        return deleted, counts, perms_needed, uses or protected

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)
