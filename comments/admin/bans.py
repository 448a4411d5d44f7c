"""Banning a commenter from the queue: from a row or for the selected rows, always
after a confirmation that says who is banned and offers to reject what they have
waiting. Both ways end in `CommentQuerySet.ban_authors()`."""

from django import forms
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from ..models import BlockedCommenter


class BanForm(forms.Form):
    # Not `action`: the change list's action menu posts that name with the confirmation.
    ban_action = forms.ChoiceField(
        choices=BlockedCommenter.Action.choices,
        initial=BlockedCommenter.Action.REJECT,
        widget=forms.RadioSelect,
        label="Their future comments",
    )
    note = forms.CharField(
        required=False,
        max_length=300,
        label="Why (for other moderators)",
        widget=forms.TextInput(attrs={"size": 50}),
    )
    reject_pending = forms.BooleanField(
        required=False, initial=True, label="Also reject their comments waiting in the queue"
    )


def commenters(comments):
    """Who the selected comments were written by, as the ban will name them."""
    found = {}
    for comment in comments:
        email = comment.email.strip().lower()
        key = (email, comment.ip_hash)
        if key in found or not (email or comment.ip_hash):
            continue
        found[key] = {
            "name": comment.display_name,
            "email": email,
            "ip_hash": comment.ip_hash,
            "banned": BlockedCommenter.objects.filter(email=email).exists() if email else False,
            "address_banned": (
                BlockedCommenter.objects.filter(ip_hash=comment.ip_hash).exists()
                if comment.ip_hash
                else False
            ),
        }
    return list(found.values())


def ban_confirmation(model_admin, request, queryset, *, form_action, hidden, next_url):
    """GET (or a first POST from the action menu): the confirmation page. A POST with
    `confirm`: the ban, then None so the caller redirects."""
    form = BanForm(request.POST if "confirm" in request.POST else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        made, rejected = queryset.ban_authors(
            by=request.user,
            action=data["ban_action"],
            note=data["note"],
            reject_pending=data["reject_pending"],
        )
        message = f"{made} new ban{'s' if made != 1 else ''} recorded."
        if data["reject_pending"]:
            message += f" {rejected} waiting comment{'s' if rejected != 1 else ''} rejected."
        messages.success(request, message)
        return None
    comments = list(queryset.select_related("article"))
    pending = list(queryset.by_same_authors().in_moderation().select_related("article")[:50])
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Ban this commenter?" if len(comments) == 1 else "Ban these commenters?",
        "comments": comments,
        "commenters": commenters(comments),
        "pending": pending,
        "form": form,
        "form_action": form_action,
        "hidden": hidden,
        "next_url": next_url,
        "checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/comments/comment/ban_confirmation.html", context)
