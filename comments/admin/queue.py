"""The moderation desk: the Comment change list is the queue.

Every status change, whether from a bulk action, a row's buttons, the change
page or a keyboard shortcut (static/js/moderation.js presses those buttons),
goes through `Comment.moderate()`, which records a ModerationEvent and refuses
to overwrite a decision another moderator made in the meantime.
"""

import datetime

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from newsroom.admin import ReadOnlyAdminMixin

from ..models import Comment, CommentFlag, ModerationConflict, ModerationEvent
from .bans import ban_confirmation
from .filters import ArticleFilter, ReasonFilter, ReportedFilter, SectionFilter, StatusFilter
from .health import queue_health

ACTIONS = {
    "approve": (Comment.Status.APPROVED, "approved"),
    "reject": (Comment.Status.REJECTED, "rejected"),
    "spam": (Comment.Status.SPAM, "marked as spam"),
}


class QueueChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        attach_queue_context(self.result_list)


def attach_queue_context(comments):
    """Reports and the commenter's other recent comments for a page of the queue,
    in two queries whatever the page size."""
    comments = list(comments)
    ids = [comment.pk for comment in comments]
    flags = {}
    for flag in CommentFlag.objects.filter(comment_id__in=ids).order_by("created_at"):
        flags.setdefault(flag.comment_id, []).append(flag)
    hashes = {c.ip_hash for c in comments if c.ip_hash}
    emails = {c.email.lower() for c in comments if c.email}
    others = []
    if hashes or emails:
        since = timezone.now() - datetime.timedelta(days=90)
        others = list(
            Comment.objects.filter(
                Q(ip_hash__in=hashes) | Q(email__in=emails), created_at__gte=since
            )
            .select_related("article")
            .only("id", "status", "body", "created_at", "ip_hash", "email", "article__headline")
            .order_by("-created_at")[:1000]
        )
    for comment in comments:
        comment.queue_flags = flags.get(comment.pk, [])
        comment.queue_others = [
            other
            for other in others
            if other.pk != comment.pk
            and (
                (comment.ip_hash and other.ip_hash == comment.ip_hash)
                or (comment.email and other.email.lower() == comment.email.lower())
            )
        ][:5]


class FlagInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CommentFlag
    fields = ["created_at", "reason", "reporter"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ModerationEvent
    fields = ["created_at", "actor", "from_status", "to_status", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "History"


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["queue_item", "status_badge", "row_actions"]
    list_display_links = None
    list_filter = [StatusFilter, ReasonFilter, ReportedFilter, SectionFilter, ArticleFilter]
    list_select_related = ["article", "parent", "moderated_by"]
    search_fields = ["name", "email", "body", "article__headline", "=ip_hash"]
    actions = ["approve", "reject", "mark_spam", "ban_commenter"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [FlagInline, EventInline]
    fields = [
        "article",
        "parent",
        "status",
        "moderation_reason",
        "name",
        "email",
        "user",
        "body",
        "created_at",
        "moderated_by",
        "moderated_at",
        "ip_hash",
        "user_agent",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/comments.css"]}
        js = ["js/moderation.js"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_moderate_permission(self, request):
        return request.user.has_perm("comments.can_moderate")

    def get_ordering(self, request):
        if request.GET.get("status", "pending") == "pending":
            return ["created_at", "id"]
        return ["-created_at", "-id"]

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def get_urls(self):
        urls = super().get_urls()
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/moderate/",
                self.admin_site.admin_view(self.moderate_view),
                name="{}_{}_moderate".format(*info),
            ),
            path(
                "<int:object_id>/ban/",
                self.admin_site.admin_view(self.ban_view),
                name="{}_{}_ban".format(*info),
            ),
            *urls,
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "health": queue_health()}
        extra_context["can_moderate"] = self.has_moderate_permission(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "moderation_actions": ACTIONS}
        extra_context["can_moderate"] = self.has_moderate_permission(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def moderate_view(self, request, object_id):
        """One comment, one decision: the row buttons, the change page and the
        keyboard shortcuts post here."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        comment = get_object_or_404(Comment, pk=object_id)
        action = request.POST.get("moderate", "")
        if action not in ACTIONS:
            messages.error(request, "Unknown moderation action.")
        else:
            to_status, done = ACTIONS[action]
            expected = request.POST.get(f"from_{comment.pk}") or request.POST.get("from")
            if expected not in Comment.Status.values:
                expected = None
            try:
                comment.moderate(
                    to_status,
                    by=request.user,
                    reason=request.POST.get("reason", "")[:500],
                    expected=expected,
                )
            except ModerationConflict as exc:
                messages.warning(request, str(exc))
            else:
                messages.success(request, f"Comment #{comment.pk} {done}.")
        return HttpResponseRedirect(self._next_url(request) + self._next_row(request, comment))

    @staticmethod
    def _next_row(request, comment):
        """The queue posts every row's `from_<id>` in the order shown: the decided
        comment's neighbour (the next one, or the one before the last) becomes the
        page's fragment, so that even without JavaScript the moderator is taken back
        to where they were rather than to the top of the page."""
        shown = [
            int(key[5:])
            for key in request.POST
            if key.startswith("from_") and key[5:].isdecimal() and len(key) < 20
        ]
        if comment.pk not in shown or len(shown) < 2:
            return ""
        index = shown.index(comment.pk)
        neighbour = shown[index + 1] if index + 1 < len(shown) else shown[index - 1]
        return f"#queue-comment-{neighbour}"

    def ban_view(self, request, object_id):
        """A row's Ban button: the confirmation (GET), then the ban (POST)."""
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        comment = get_object_or_404(Comment, pk=object_id)
        next_url = self._next_url(request)
        response = ban_confirmation(
            self,
            request,
            Comment.objects.filter(pk=comment.pk),
            form_action=reverse("admin:comments_comment_ban", args=[comment.pk]),
            hidden=[("next", next_url)],
            next_url=next_url,
        )
        return response or HttpResponseRedirect(next_url)

    def _next_url(self, request):
        target = request.POST.get("next", "") or request.GET.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target.split("#", 1)[0]
        return reverse("admin:comments_comment_changelist")

    @admin.display(description="Comment")
    def queue_item(self, comment):
        return render_to_string("admin/comments/comment/queue_item.html", {"comment": comment})

    @admin.display(description="Status", ordering="status")
    def status_badge(self, comment):
        return render_to_string("admin/comments/comment/status.html", {"comment": comment})

    @admin.display(description="Decide")
    def row_actions(self, comment):
        return render_to_string(
            "admin/comments/comment/row_actions.html", {"comment": comment, "actions": ACTIONS}
        )

    def _bulk(self, request, queryset, to_status, done):
        selected = {int(pk) for pk in request.POST.getlist(ACTION_CHECKBOX_NAME) if pk.isdecimal()}
        changed, conflicts, unchanged = 0, [], 0
        seen = set()
        for comment in queryset.select_related(None).only("id", "status", "article_id"):
            seen.add(comment.pk)
            if comment.status == to_status:
                unchanged += 1
                continue
            try:
                comment.moderate(to_status, by=request.user)
            except ModerationConflict as exc:
                conflicts.append(str(exc))
            else:
                changed += 1
        gone = len(selected - seen) if selected else 0
        if changed:
            messages.success(request, f"{changed} comment{'s' if changed != 1 else ''} {done}.")
        if unchanged:
            messages.info(request, f"{unchanged} already had that status.")
        if gone:
            messages.warning(
                request,
                f"{gone} selected comment{'s' if gone != 1 else ''} had been changed by someone "
                "else since the list was shown, and "
                f"{'were' if gone != 1 else 'was'} left alone.",
            )
        for conflict in conflicts:
            messages.warning(request, conflict)

    @admin.action(permissions=["moderate"], description="Approve selected comments")
    def approve(self, request, queryset):
        self._bulk(request, queryset, Comment.Status.APPROVED, "approved")

    @admin.action(permissions=["moderate"], description="Reject selected comments")
    def reject(self, request, queryset):
        self._bulk(request, queryset, Comment.Status.REJECTED, "rejected")

    @admin.action(permissions=["moderate"], description="Mark selected comments as spam")
    def mark_spam(self, request, queryset):
        self._bulk(request, queryset, Comment.Status.SPAM, "marked as spam")

    @admin.action(
        permissions=["moderate"],
        description="Ban the authors of selected comments…",
    )
    def ban_commenter(self, request, queryset):
        """The confirmation for the selected rows; confirming posts the action again."""
        hidden = [
            ("action", "ban_commenter"),
            ("select_across", request.POST.get("select_across", "0")),
            *((ACTION_CHECKBOX_NAME, pk) for pk in request.POST.getlist(ACTION_CHECKBOX_NAME)),
        ]
        return ban_confirmation(
            self,
            request,
            queryset,
            form_action=request.get_full_path(),
            hidden=hidden,
            next_url=request.get_full_path(),
        )
