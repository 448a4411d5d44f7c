"""Who is told when a story moves: the desk's history (ArticleEvent) announces each
step, and a note announces whom it mentions (its `mentions` growing); these listeners
turn them into `Notification`s and e-mail them after the commit, by a background task,
so an action never waits on mail."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from newsroom.tasks import background, enqueue_after_commit

from .models import Byline, Notification

logger = logging.getLogger(__name__)


def editors(article):
    perm = Permission.objects.filter(
        codename="publish_article", content_type__app_label="articles"
    ).first()
    who = Q(is_superuser=True)
    if perm is not None:
        who |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    return set(get_user_model().objects.filter(who, is_active=True).values_list("pk", flat=True))


def writers(article):
    users = set(
        Byline.objects.filter(article=article, author__user__isnull=False).values_list(
            "author__user_id", flat=True
        )
    )
    if article.created_by_id:
        users.add(article.created_by_id)
    return users


def assignee(article):
    return {article.assignee_id} if article.assignee_id else set()


# event action → (what the recipients are told, who they are)
TOLD = {
    "submit": (Notification.Verb.SUBMITTED, editors),
    "return_to_draft": (Notification.Verb.RETURNED, writers),
    "publish": (Notification.Verb.PUBLISHED, writers),
    "assign": (Notification.Verb.ASSIGNED, assignee),
}


def event_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or not created or instance.action not in TOLD or instance.article_id is None:
        return
    verb, recipients = TOLD[instance.action]
    article = instance.article
    made = Notification.objects.bulk_create(
        Notification(recipient_id=pk, actor_id=instance.actor_id, verb=verb, article=article)
        for pk in sorted(recipients(article) - {instance.actor_id})
    )
    if made:
        enqueue_after_commit(send_notifications, [note.pk for note in made])


def note_mentions_added(sender, instance, action, pk_set, reverse=False, **kwargs):
    """Those a note newly mentions are told, once each; its author never is."""
    if action != "post_add" or reverse or not pk_set:
        return
    made = Notification.objects.bulk_create(
        Notification(
            recipient_id=pk,
            actor_id=instance.author_id,
            verb=Notification.Verb.MENTIONED,
            article_id=instance.article_id,
        )
        for pk in sorted(set(pk_set) - {instance.author_id})
    )
    if made:
        enqueue_after_commit(send_notifications, [note.pk for note in made])


@background
def send_notifications(ids):
    notes = Notification.objects.filter(pk__in=ids).select_related("recipient", "actor", "article")
    sent = 0
    for note in notes:
        if not note.recipient.email:
            continue
        url = settings.NEWSROOM_SITE_URL + reverse(
            "admin:articles_article_change", args=[note.article_id]
        )
        if note.verb == Notification.Verb.MENTIONED:
            url += "#desk-notes"
        send_mail(
            f"“{note.article.headline}” {note.get_verb_display()}",
            render_to_string("articles/email/notification.txt", {"note": note, "url": url}),
            settings.DEFAULT_FROM_EMAIL,
            [note.recipient.email],
        )
        sent += 1
    return sent
