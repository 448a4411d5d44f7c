"""Autosave at the desk: the article form sends what the writer typed here every few
seconds (static/js/admin-autosave.js), and offers it back when the story is reopened.

An autosave is the writer's own row (`Autosave`), never the article: nothing readers
see, no status, slug, revision or redirect changes, and no model that the caches listen
to is saved. It obeys the form's permissions. Opening the form checks them in full and
notes in the session, for a few minutes, that this writer may autosave this story; the
requests that follow then cost the session, the user and one upsert (three queries),
and an expired note is checked in full again.
"""

import json
import time

from django.conf import settings
from django.db import IntegrityError
from django.http import JsonResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from newsroom.request_limits import limit_request_body

from ..models import Article, Autosave

#: How long opening the form vouches for the requests that follow, in seconds.
GRANT_SECONDS = 300
SESSION_KEY = "desk-autosave"
#: Form fields never kept: the form's own protections and the workflow's state.
NOT_KEPT = {"loaded_version", "checklist_seen", "status"}
MAX_FIELDS = 200
MAX_NAME = 100


def max_bytes():
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _too_large(request, limit):
    return _error(f"The text is too large to keep (more than {limit} bytes).", 400)


def _error(message, status):
    return JsonResponse({"error": message}, status=status)


class AutosaveDesk:
    """Mixed into ArticleAdmin: `add/autosave/` and `<id>/autosave/`, and the change
    form's part (`autosave` in its context, for a form the writer may change)."""

    def get_urls(self):
        view = limit_request_body(max_bytes, refused=_too_large)(
            self.admin_site.admin_view(require_POST(self.autosave_view))
        )
        return [
            path("add/autosave/", view, name="articles_article_autosave"),
            path("<path:object_id>/autosave/", view, name="articles_article_autosave"),
            *super().get_urls(),
        ]

    def autosave_view(self, request, object_id=None):
        if object_id is not None and not (object_id.isascii() and object_id.isdecimal()):
            return _error("No such story.", 404)
        key = object_id or "add"
        if not _granted(request, key):
            refused = self._refusal(request, object_id)
            if refused:
                return refused
            _grant(request, key)
        try:
            data = _parse(request)
        except ValueError as exc:
            return _error(str(exc), 400)
        try:
            saved_at = Autosave.keep(request.user, int(object_id) if object_id else None, data)
        except IntegrityError:  # the story was deleted since the form was opened
            return _error("No such story.", 404)
        return JsonResponse({"saved_at": _iso(saved_at)})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if add or response.context_data["has_change_permission"]:
            response.context_data["autosave"] = form_context(
                request,
                self,
                obj,
                fields=context["adminform"].form.fields,
                # A form sent back with errors already shows the newest text.
                offer=request.method == "GET",
            )
        return response

    def _refusal(self, request, object_id):
        """The form's own permission check, in full: None when allowed."""
        if object_id is None:
            allowed = self.has_add_permission(request)
        else:
            article = (
                Article.objects.filter(pk=object_id).only("pk", "status", "created_by_id").first()
            )
            if article is None:
                return _error("No such story.", 404)
            allowed = self.has_change_permission(request, article)
        if not allowed:
            return _error("You may not change this story.", 403)
        return None


def form_context(request, admin, obj, *, fields, offer):
    """What the change form's autosave needs (templates/admin/articles/article/
    autosave.html): where to send, the browser's key, and this writer's autosave when it
    is newer than the saved story. Called only for a form the writer may change."""
    key = str(obj.pk) if obj is not None else "add"
    _grant(request, key)
    kept = None
    if offer:
        row = Autosave.objects.filter(user=request.user, article=obj).first()
        if row is not None and (obj is None or row.saved_at > obj.updated_at):
            # In the form's order (PostgreSQL's jsonb keeps its keys in an order of its own).
            data = {name: row.data[name] for name in fields if name in row.data}
            data.update((name, value) for name, value in row.data.items() if name not in data)
            kept = {"saved_at": _iso(row.saved_at), "data": data}
    return {
        "url": reverse(
            "admin:articles_article_autosave",
            args=[obj.pk] if obj is not None else [],
            current_app=admin.admin_site.name,
        ),
        "key": f"newsroom-autosave:{request.user.pk}:{key}",
        "updated_at": _iso(obj.updated_at) if obj is not None else "",
        "fields": " ".join(name for name in fields if name not in NOT_KEPT),
        "offer": offer,
        "kept": kept,
    }


def _iso(moment):
    # Milliseconds, as JavaScript's Date reads them.
    return moment.isoformat(timespec="milliseconds")


def _granted(request, key):
    return request.session.get(SESSION_KEY, {}).get(key, 0) > time.time()


def _grant(request, key):
    now = time.time()
    grants = {k: v for k, v in request.session.get(SESSION_KEY, {}).items() if v > now}
    grants[key] = now + GRANT_SECONDS
    request.session[SESSION_KEY] = dict(sorted(grants.items(), key=lambda kv: kv[1])[-50:])


def _parse(request):
    """The posted form as {name: value}: strings, lists of strings, booleans or null."""
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("Send the form as a JSON object.") from None
    if not isinstance(data, dict):
        raise ValueError("Send the form as a JSON object.")
    if len(data) > MAX_FIELDS:
        raise ValueError(f"At most {MAX_FIELDS} fields.")
    for name, value in data.items():
        if not name or len(name) > MAX_NAME or not _text(name):
            raise ValueError("A field name is empty, too long or not text.")
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None or isinstance(item, bool):
                continue
            if not isinstance(item, str) or not _text(item):
                raise ValueError(f"The value of “{name[:MAX_NAME]}” is not text.")
    return data


def _text(value):
    """Text the database stores as it is: no NUL, no lone surrogate."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
