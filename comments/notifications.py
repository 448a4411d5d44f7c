"""E-mail to moderators. Always sent after the comment or report is committed
(`transaction.on_commit`), by a background task (newsroom/tasks.py): a reader's
comment is never lost, refused or slowed because mail is slow or down; a failing mail
server is logged and the task tried again later."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from newsroom.tasks import background

logger = logging.getLogger(__name__)

QUEUE_ALERT_KEY = "comments:queue-alert-sent"


def moderator_emails():
    perm = Permission.objects.filter(
        codename="can_moderate", content_type__app_label="comments"
    ).first()
    who = Q(is_superuser=True)
    if perm is not None:
        who |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    users = get_user_model().objects.filter(who, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def _send(subject, template, context):
    recipients = moderator_emails()
    if not recipients:
        return False
    context = {
        **context,
        "site_url": settings.NEWSROOM_SITE_URL,
        "queue_url": settings.NEWSROOM_SITE_URL + reverse("admin:comments_comment_changelist"),
    }
    try:
        send_mail(
            subject,
            render_to_string(template, context),
            settings.DEFAULT_FROM_EMAIL,
            recipients,
        )
    except Exception:
        logger.exception("Could not e-mail moderators: %s", subject)
        raise
    return True


def notify_report(flag_id):
    """Mail the moderators about a reader's report (in a background task)."""
    send_report.enqueue(flag_id)


@background
def send_report(flag_id):
    from .models import CommentFlag

    flag = (
        CommentFlag.objects.select_related("comment", "comment__article").filter(pk=flag_id).first()
    )
    if flag is None:
        return False
    return _send(
        f"Comment #{flag.comment_id} reported by a reader",
        "comments/email/report.txt",
        {"flag": flag, "comment": flag.comment, "reports": flag.comment.flags.count()},
    )


def check_queue():
    """Mail the moderators (in a background task) when the queue passes the threshold,
    at most once per interval across every app process (the marker lives in the shared
    cache). True when an alert was queued."""
    from .models import Comment

    threshold = settings.COMMENTS_QUEUE_ALERT_THRESHOLD
    if not threshold:
        return False
    if cache.get(QUEUE_ALERT_KEY):
        return False  # already sent in this interval; spare the count
    waiting = Comment.objects.in_moderation().count()
    if waiting < threshold:
        return False
    if not cache.add(QUEUE_ALERT_KEY, 1, timeout=settings.COMMENTS_QUEUE_ALERT_INTERVAL):
        return False
    send_queue_alert.enqueue(waiting, threshold)
    return True


@background
def send_queue_alert(waiting, threshold):
    return _send(
        f"{waiting} comments are waiting for moderation",
        "comments/email/queue.txt",
        {"waiting": waiting, "threshold": threshold},
    )
