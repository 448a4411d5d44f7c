"""Presence at the desk: the change form's heartbeat and the change list's marker.

The heartbeat view answers from the shared cache alone (articles/presence.py): after
the session and permission lookups every request makes, it reads and writes no table.
Anyone who may view articles in the admin may beat; the article is not loaded (an id
that names no article only keeps an empty entry alive for a few seconds).
"""

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from newsroom.request_limits import limit_request_body

from .. import presence

#: A heartbeat is a few short fields; anything bigger is refused before it is read.
MAX_BEAT_BYTES = 2048


class PresenceDesk:
    """Mixed into ArticleAdmin."""

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.presence_view))
        return [
            path(
                "<int:object_id>/presence/",
                limit_request_body(lambda: MAX_BEAT_BYTES)(view),
                name="articles_article_presence",
            ),
            *super().get_urls(),
        ]

    def presence_view(self, request, object_id):
        """POST `tab` (the browser tab's own id), `dirty` (1 when the form has changed
        since it loaded), `mode` (edit or read), `hidden` (1 when in the background),
        or `leaving` (1 when the tab closes). Answers the others on the story as JSON."""
        if not self.has_view_or_change_permission(request):
            return JsonResponse({"error": "You may not view articles."}, status=403)
        tab = request.POST.get("tab", "")
        if not presence.TAB_ID.fullmatch(tab):
            return JsonResponse({"error": "A heartbeat needs its tab's id."}, status=400)
        if request.POST.get("leaving") == "1":
            presence.leave(object_id, request.user, tab)
            return HttpResponse(status=204)
        people = presence.beat(
            object_id,
            request.user,
            tab,
            dirty=request.POST.get("dirty") == "1",
            mode=request.POST.get("mode", "edit"),
            hidden=request.POST.get("hidden") == "1",
        )
        return JsonResponse(
            {
                "interval": presence.interval(),
                "others": [person.as_json() for person in people],
                "html": render_to_string(
                    "admin/articles/article/presence_list.html", {"people": people}
                ),
            }
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context["presence"] = {
                "url": reverse("admin:articles_article_presence", args=[obj.pk]),
                "interval": presence.interval(),
                "people": presence.on_story(obj.pk, exclude_user_id=request.user.pk),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- Change list --------------------------------------------------------

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        rows = changelist.result_list
        editing = presence.editing([row.pk for row in rows], exclude_user_id=request.user.pk)
        for row in rows:
            row.presence_editing = editing.get(row.pk, ())
        return changelist

    def presence_marker(self, obj):
        """The "Ana Ruiz is editing" line under the row's status, on stories someone has open."""
        people = getattr(obj, "presence_editing", ())
        if not people:
            return ""
        names = [person.name for person in people]
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb = "is editing" if len(names) == 1 else "are editing"
        unsaved = " (unsaved changes)" if any(person.dirty for person in people) else ""
        return format_html(
            '<span class="desk-presence-marker"><span aria-hidden="true">✎ </span>{} {}{}</span>',
            who,
            verb,
            unsaved,
        )
