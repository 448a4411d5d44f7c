"""The desk's dashboard on the admin index: what needs each person now."""

from django import template
from django.db.models import F, Max, Min
from django.utils import timezone

from articles import workflow
from articles.models import Article, Notification

register = template.Library()

LIMIT = 8


@register.simple_tag(takes_context=True)
def desk_dashboard(context):
    """Panels for the signed-in user's role; a panel they cannot act on is left out."""
    user = context["request"].user
    panels = []
    if user.has_perm(workflow.VIEW):
        articles = Article.objects.select_related("section").only(
            "headline",
            "status",
            "published_at",
            "expires_at",
            "due_at",
            "updated_at",
            "section__name",
        )
        panels.append(
            {
                "key": "assigned",
                "title": "Assigned to me",
                "empty": "Nothing is assigned to you. The budget shows the whole plan.",
                "filter": f"assignee__id__exact={user.pk}",
                "articles": list(
                    articles.filter(
                        assignee=user, status__in=[Article.Status.DRAFT, Article.Status.REVIEW]
                    ).order_by(F("due_at").asc(nulls_last=True), "-updated_at")[:LIMIT]
                ),
            }
        )
        if workflow.can_publish(user):
            panels.append(
                {
                    "key": "review",
                    "title": "Awaiting your review",
                    "empty": "Nothing is waiting for review.",
                    "filter": "desk_status=review",
                    "articles": list(
                        articles.filter(status=Article.Status.REVIEW).order_by("updated_at")[:LIMIT]
                    ),
                }
            )
        panels.append(
            {
                "key": "drafts",
                "title": "My drafts",
                "empty": "You have no drafts. Start one with “Write a new article”.",
                "filter": "desk_status=draft",
                "articles": list(
                    articles.filter(status=Article.Status.DRAFT, created_by=user).order_by(
                        "-updated_at"
                    )[:LIMIT]
                ),
            }
        )
        panels.append(
            {
                "key": "scheduled",
                "title": "Scheduled",
                "empty": "Nothing is scheduled.",
                "filter": "desk_status=scheduled",
                "articles": list(articles.scheduled().order_by("published_at")[:LIMIT]),
            }
        )
        panels.append(
            {
                "key": "live",
                "title": "Recently published",
                "empty": "Nothing published yet.",
                "filter": "desk_status=live",
                "articles": list(articles.live().order_by("-published_at")[:LIMIT]),
            }
        )
    unread = unread_count(user)
    moderation = None
    if user.has_perm("comments.can_moderate"):
        from comments.models import Comment

        moderation = Comment.objects.in_moderation().count()
    return {
        "panels": panels,
        "moderation": moderation,
        "unread": unread,
        "now": timezone.now(),
    }


def unread_count(user):
    """The user's unread notifications ("99+" past 99, counted no further), or None for
    someone the desk tells nothing."""
    if user is None or not user.is_active or not user.has_perm(workflow.VIEW):
        return None
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    count = unread.order_by()[:100].count()
    return "99+" if count > 99 else count


@register.simple_tag(takes_context=True)
def desk_unread(context):
    """The admin header's count, on every admin page."""
    return unread_count(getattr(context.get("request"), "user", None))


@register.inclusion_tag("admin/date_hierarchy.html")
def desk_date_hierarchy(cl):
    """Django's date drill-down, with a cheap top level: the years between the first
    and last publication (two index lookups) instead of a DISTINCT over the archive.
    A newspaper publishes every year, so the range is the list."""
    from django.contrib.admin.templatetags.admin_list import date_hierarchy

    field = cl.date_hierarchy
    if any(key.startswith(f"{field}__") for key in cl.params):
        return date_hierarchy(cl)
    bounds = cl.queryset.aggregate(first=Min(field), last=Max(field))
    if not (bounds["first"] and bounds["last"]):
        return {"show": False}
    first, last = (timezone.localtime(bounds[key]) for key in ("first", "last"))
    if first.year == last.year:
        return date_hierarchy(cl)
    return {
        "show": True,
        "back": None,
        "choices": [
            {
                "link": cl.get_query_string({f"{field}__year": str(year)}, [f"{field}__"]),
                "title": str(year),
            }
            for year in range(first.year, last.year + 1)
        ],
    }
