"""Who may do what to an article: the rules where users, roles and articles meet.

The transitions themselves are methods on `Article` (`article.submit(by=user)`,
`article.publish(by=user)`, ...); they ask these functions first, so the rules hold
for the admin, for a crafted POST and for code alike. The groups that grant the
permissions are defined in `newsroom/roles.py`.
"""

from django.core.exceptions import PermissionDenied

PUBLISH = "articles.publish_article"
EDIT_ANY = "articles.edit_any_article"
CHANGE = "articles.change_article"
ADD = "articles.add_article"
VIEW = "articles.view_article"


def can_publish(user):
    """Publish now, schedule, withdraw, send back, restore revisions: the editor's powers."""
    return user.is_active and user.has_perm(PUBLISH)


def is_own(user, article):
    """The user started the article, or writes under one of its bylines."""
    if article.pk is None or article.created_by_id == user.pk:
        return True
    return article.bylines.filter(author__user=user).exists()


def can_edit(user, article):
    """Editors edit anything; a reporter edits only their own draft or their own article
    waiting in review, never one that is published, scheduled or withdrawn."""
    if not (user.is_active and user.has_perm(CHANGE)):
        return False
    if article is None:
        return True
    if user.has_perm(EDIT_ANY):
        return True
    return article.status in ("draft", "review") and is_own(user, article)


def can_submit(user, article):
    return article.status == "draft" and (
        (article.pk is None and user.has_perm(ADD)) or can_edit(user, article)
    )


def require(allowed, message):
    if not allowed:
        raise PermissionDenied(message)


def can_post_update(user, article):
    """Write (draft) updates on a live article: anyone who may change articles."""
    return user.is_active and user.has_perm(CHANGE) and article.kind == "live"


def can_publish_update(user, article):
    """Publish, pin and withdraw updates: editors; and, when LIVE_REPORTERS_PUBLISH is on,
    a reporter bylined on the live story (docs/architecture.md, "Live coverage")."""
    from django.conf import settings

    if not can_post_update(user, article):
        return False
    if can_publish(user):
        return True
    return settings.LIVE_REPORTERS_PUBLISH and article.bylines.filter(author__user=user).exists()
