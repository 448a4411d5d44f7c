"""The article's own pages beside its form: history, compare, restore, preview links,
tag suggestions and the body editor's endpoints."""

import datetime

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST
from taggit.models import Tag

from .. import editor, preview, revisions, seo, workflow
from ..models import Article, Revision, Section


class ArticleViews:
    """Mixed into ArticleAdmin."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("body/images/", wrap(editor.images), name="articles_article_body_images"),
            path("body/upload/", wrap(editor.upload), name="articles_article_body_upload"),
            path("body/embed/", wrap(editor.embed), name="articles_article_body_embed"),
            path("budget/", wrap(self.budget_view), name="articles_article_budget"),
            path(
                "tags/suggest/",
                wrap(self.tag_suggest_view),
                name="articles_article_tag_suggest",
            ),
            path(
                "<path:object_id>/revisions/",
                wrap(self.revisions_view),
                name="articles_article_revisions",
            ),
            path(
                "<path:object_id>/revisions/compare/",
                wrap(self.compare_view),
                name="articles_article_compare",
            ),
            path(
                "<path:object_id>/revisions/<int:revision_id>/restore/",
                wrap(require_POST(self.restore_view)),
                name="articles_article_restore",
            ),
            path(
                "<path:object_id>/share-preview/",
                wrap(require_POST(self.share_preview_view)),
                name="articles_article_share_preview",
            ),
            path(
                "<path:object_id>/revoke-previews/",
                wrap(require_POST(self.revoke_previews_view)),
                name="articles_article_revoke_previews",
            ),
            *super().get_urls(),
        ]

    def tag_suggest_view(self, request):
        """Existing tags starting with what the editor typed, so the desk reuses them."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        typed = request.GET.get("q", "").strip()
        names = []
        if len(typed) >= 2:
            names = list(
                Tag.objects.filter(name__istartswith=typed)
                .order_by("name")
                .values_list("name", flat=True)[:12]
            )
        return JsonResponse({"tags": names})

    def _viewable(self, request, object_id):
        article = get_object_or_404(Article, pk=unquote(object_id))
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return article

    def revisions_view(self, request, object_id):
        article = self._viewable(request, object_id)
        history = list(article.revisions.select_related("created_by"))
        labels = dict(Article.Status.choices)
        for revision in history:
            revision.status_label = labels.get(revision.data.get("status"), "—")
        context = {
            **self.admin_site.each_context(request),
            "title": f"History of “{article}”",
            "opts": self.opts,
            "original": article,
            "revisions": history,
            "events": article.events.select_related("actor")[:100],
            "can_restore": workflow.can_publish(request.user),
        }
        return TemplateResponse(request, "admin/articles/article/revisions.html", context)

    def compare_view(self, request, object_id):
        article = self._viewable(request, object_id)
        pks = [request.GET.get("a", ""), request.GET.get("b", "")]
        if not all(pk.isdecimal() for pk in pks):
            messages.warning(request, "Choose two revisions to compare.")
            return HttpResponseRedirect(
                reverse("admin:articles_article_revisions", args=[article.pk])
            )
        found = {rev.pk: rev for rev in article.revisions.filter(pk__in=pks)}
        if len(found) != len(set(pks)):
            raise PermissionDenied("Those revisions do not belong to this article.")
        older, newer = sorted(
            (found[int(pk)] for pk in pks), key=lambda rev: (rev.created_at, rev.pk)
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Changes to “{article}”",
            "opts": self.opts,
            "original": article,
            "older": older,
            "newer": newer,
            "changes": revisions.diff(older.data, newer.data),
            "can_restore": workflow.can_publish(request.user),
        }
        return TemplateResponse(request, "admin/articles/article/revision_compare.html", context)

    def restore_view(self, request, object_id, revision_id):
        article = self._viewable(request, object_id)
        revision = get_object_or_404(Revision, pk=revision_id, article=article)
        if not workflow.can_publish(request.user):
            raise PermissionDenied("Only an editor may restore revisions.")
        restored = revisions.restore(revision, by=request.user)
        when = date_format(timezone.localtime(revision.created_at), "DATETIME_FORMAT")
        messages.success(
            request,
            f"Restored the version of {when}. The version it replaced is kept in the history.",
        )
        if restored.left_out:
            messages.warning(
                request,
                "Some of it no longer exists and was left as it is now: "
                + "; ".join(restored.left_out)
                + ".",
            )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    def share_preview_view(self, request, object_id):
        article = self._viewable(request, object_id)
        if not workflow.can_publish(request.user):
            raise PermissionDenied("Only an editor may share previews.")
        link = seo.absolute(preview.share_url(article))
        request.session[f"desk-share-{article.pk}"] = link
        messages.success(
            request,
            f"Preview link made; it works for {preview.share_hours()} hours for anyone who "
            "has it. Copy it from the box at the top of the form.",
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    def revoke_previews_view(self, request, object_id):
        article = self._viewable(request, object_id)
        if not workflow.can_publish(request.user):
            raise PermissionDenied("Only an editor may revoke preview links.")
        article.revoke_share_links()
        request.session.pop(f"desk-share-{article.pk}", None)
        messages.success(
            request, "Every preview link made for this story so far has stopped working."
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    BUDGET_DAYS = (1, 2, 3, 5, 7, 14)

    def budget_view(self, request):
        """Today's and the coming days' stories, by day and section, with who has them:
        the plan the desk works to (printable)."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        chosen = request.GET.get("days", "3")
        days = int(chosen) if chosen.isdecimal() and int(chosen) in self.BUDGET_DAYS else 3
        start = timezone.make_aware(
            datetime.datetime.combine(timezone.localdate(), datetime.time.min)
        )
        stories = (
            Article.objects.budget(start, start + datetime.timedelta(days=days))
            .exclude(status=Article.Status.WITHDRAWN)
            .select_related("section", "assignee")
            .only(*BUDGET_FIELDS)
        )
        section = request.GET.get("section", "")
        if section.isdecimal():
            stories = stories.filter(section_id=int(section))
        assignee = request.GET.get("assignee", "")
        if assignee == "me":
            stories = stories.filter(assignee=request.user)
        elif assignee.isdecimal():
            stories = stories.filter(assignee_id=int(assignee))
        status = request.GET.get("status", "")
        plan = {}
        for story in stories:
            story.desk = story.desk_status
            if status and story.desk[0] != status:
                continue
            when = story.due_at or story.published_at
            day = "overdue" if when < start else timezone.localtime(when).date()
            plan.setdefault(day, []).append(story)
        overdue = plan.pop("overdue", [])
        # A busy desk plans hundreds of stories a week: the rows reach the template as
        # plain values, each worked out once here (one reverse() for every link).
        change_url = _change_url_maker()
        context = {
            **self.admin_site.each_context(request),
            "title": "The budget",
            "opts": self.opts,
            "overdue": _budget_rows(overdue, change_url),
            "days": [(day, _budget_rows(rows, change_url)) for day, rows in sorted(plan.items())],
            "day_choices": self.BUDGET_DAYS,
            "chosen": {"days": days, "section": section, "assignee": assignee, "status": status},
            "sections": Section.objects.order_by("position", "name").values_list("pk", "name"),
            "assignees": desk_people(),
            "statuses": [
                ("draft", "Draft"),
                ("review", "In review"),
                ("scheduled", "Scheduled"),
                ("live", "Live"),
                ("expired", "Expired"),
            ],
        }
        return TemplateResponse(request, "admin/articles/article/budget.html", context)


BUDGET_FIELDS = (
    "headline",
    "status",
    "published_at",
    "expires_at",
    "due_at",
    "word_count",
    "section__name",
    "section__position",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


def _budget_order(story):
    section = story.section
    return (
        (section.position, section.name) if section else (10**6, ""),
        story.due_at or story.published_at,
    )


def _change_url_maker():
    """pk -> the story's change form address, from one reverse() by name."""
    head, tail = reverse("admin:articles_article_change", args=[0]).rsplit("/0/", 1)
    return lambda pk: f"{head}/{pk}/{tail}"


def _budget_rows(stories, change_url):
    rows = []
    for story in sorted(stories, key=_budget_order):
        assignee = story.assignee
        rows.append(
            {
                "section": story.section.name if story.section else "",
                "headline": story.headline,
                "url": change_url(story.pk),
                "status": story.desk,
                "assignee": (assignee.get_full_name() or assignee.get_username())
                if assignee
                else "",
                "due": date_format(timezone.localtime(story.due_at), "j M, H:i")
                if story.due_at
                else "",
                "goes_live": date_format(timezone.localtime(story.published_at), "H:i")
                if not story.due_at and story.published_at
                else "",
                "word_count": story.word_count,
            }
        )
    return rows


def desk_people():
    """Who can be given a story: the active staff, by name."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")
