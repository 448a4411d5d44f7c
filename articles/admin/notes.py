"""Notes on a story at the desk: the side panel of the article's change page, and its
views: add a note, resolve one, reopen one (POST only), and delete one (a confirmation
page, then a POST). Anyone who may open the story in the admin may take part; a note is
deleted only by the person who wrote it (or someone allowed to delete notes). Notes are
the desk's alone: nothing here touches the article, its version or what readers see."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from ..models import Article, EditorialNote
from ..models.desk import desk_users

#: The note form shares the article's page: its field's name and id start with this.
NOTE_PREFIX = "note"
#: How much of a refused note is kept for the form to show again.
KEPT_CHARACTERS = 4 * EditorialNote.MAX_LENGTH
#: How many of the desk's people the panel lists as mentionable.
PEOPLE_LISTED = 100


class EditorialNoteForm(forms.ModelForm):
    text = forms.CharField(
        label="Add a note",
        max_length=EditorialNote.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": EditorialNote.MAX_LENGTH}),
        help_text="Only the desk sees notes. Write @username to tell someone.",
        error_messages={
            "required": "The note is empty: write something first.",
            "max_length": "A note has at most %(limit_value)d characters; "
            "this one has %(show_value)d.",
        },
    )

    class Meta:
        model = EditorialNote
        fields = ["text"]


def _session_key(article):
    return f"desk-note-{article.pk}"


class EditorialNotes:
    """Mixed into ArticleAdmin: the notes panel beside the change form and its views."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/notes/",
                wrap(require_POST(self.note_add_view)),
                name="articles_article_notes",
            ),
            path(
                "<path:object_id>/notes/<int:note_id>/resolve/",
                wrap(require_POST(self.note_resolve_view)),
                name="articles_article_note_resolve",
            ),
            path(
                "<path:object_id>/notes/<int:note_id>/reopen/",
                wrap(require_POST(self.note_reopen_view)),
                name="articles_article_note_reopen",
            ),
            path(
                "<path:object_id>/notes/<int:note_id>/delete/",
                wrap(self.note_delete_view),
                name="articles_article_note_delete",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["notes_panel"] = self.notes_panel(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def notes_panel(self, request, article):
        """What the side panel shows, or None (a story not saved yet has no notes)."""
        if article is None or article.pk is None:
            return None
        # Newest first, under the form: what was just written shows without scrolling.
        notes = list(
            article.notes.order_by("-created_at", "-id")
            .select_related("author", "resolved_by")
            .prefetch_related("mentions")
        )
        blank = EditorialNote(article=article, author=request.user)
        refused = request.session.pop(_session_key(article), None)
        if refused is None:
            form = EditorialNoteForm(prefix=NOTE_PREFIX, instance=blank)
        else:
            # The note refused a moment ago, with its errors: nothing typed is lost.
            form = EditorialNoteForm(
                {f"{NOTE_PREFIX}-text": refused}, prefix=NOTE_PREFIX, instance=blank
            )
            form.is_valid()
        for note in notes:
            note.deletable = may_delete(request.user, note)
        return {
            "notes": notes,
            "open": sum(1 for note in notes if not note.is_resolved),
            "form": form,
            "people": desk_users().order_by("username")[:PEOPLE_LISTED],
        }

    # -- The views ------------------------------------------------------------

    def _note_article(self, request, object_id):
        object_id = unquote(object_id)
        if not object_id.isdecimal():
            raise Http404("No such article.")
        article = get_object_or_404(Article, pk=object_id)
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return article

    def _back_to_notes(self, article):
        return HttpResponseRedirect(
            reverse("admin:articles_article_change", args=[article.pk]) + "#desk-notes"
        )

    def note_add_view(self, request, object_id):
        article = self._note_article(request, object_id)
        form = EditorialNoteForm(
            request.POST,
            prefix=NOTE_PREFIX,
            instance=EditorialNote(article=article, author=request.user),
        )
        if not form.is_valid():
            request.session[_session_key(article)] = form.data.get(f"{NOTE_PREFIX}-text", "")[
                :KEPT_CHARACTERS
            ]
            errors = " ".join(form.errors.get("text", [])) or "It could not be saved."
            messages.error(request, f"The note was not added. {errors}")
            return self._back_to_notes(article)
        note = form.save()
        told = sorted(
            user.get_username() for user in note.mentions.all() if user.pk != request.user.pk
        )
        unknown = note.unknown_mentions()
        said = "The note is added."
        if told:
            said += " Told: " + ", ".join(f"@{name}" for name in told) + "."
        messages.success(request, said)
        if unknown:
            messages.warning(
                request,
                "Nobody on the desk is called "
                + ", ".join(f"@{name}" for name in unknown)
                + ", so nobody was told for that name.",
            )
        return self._back_to_notes(article)

    def _note(self, request, object_id, note_id):
        article = self._note_article(request, object_id)
        return article, get_object_or_404(EditorialNote, pk=note_id, article=article)

    def note_resolve_view(self, request, object_id, note_id):
        article, note = self._note(request, object_id, note_id)
        note.resolve(by=request.user)
        messages.success(request, "The note is resolved.")
        return self._back_to_notes(article)

    def note_reopen_view(self, request, object_id, note_id):
        article, note = self._note(request, object_id, note_id)
        note.reopen(by=request.user)
        messages.success(request, "The note is open again.")
        return self._back_to_notes(article)

    def note_delete_view(self, request, object_id, note_id):
        """GET asks first, showing the note; POST deletes it. The people it mentioned
        keep their notification, which names the story."""
        article, note = self._note(request, object_id, note_id)
        if not may_delete(request.user, note):
            raise PermissionDenied
        if request.method == "POST":
            note.delete()
            messages.success(request, "The note is deleted.")
            return self._back_to_notes(article)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Delete this note?",
            "article": article,
            "note": note,
            "back": reverse("admin:articles_article_change", args=[article.pk])
            + f"#desk-note-{note.pk}",
        }
        return TemplateResponse(request, "admin/articles/article/note_delete.html", context)


def may_delete(user, note):
    """Whoever wrote the note, or someone allowed to delete notes."""
    return (note.author_id is not None and note.author_id == user.pk) or user.has_perm(
        "articles.delete_editorialnote"
    )
