"""Who may do what to an article, written once.

`TRANSITIONS` is the workflow: for each action, the desk statuses it starts from and who
may take it from there, the button's label and help, and what the desk says afterwards.
The model methods (`article.submit(by=user)`, ...) call `check()`; the change form's
clean() asks `refusal()`; the buttons are `available()`; the admin's message after
an action is its `done`. The groups that grant the permissions are in `newsroom/roles.py`.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError

PUBLISH = "articles.publish_article"
EDIT_ANY = "articles.edit_any_article"
CHANGE = "articles.change_article"
ADD = "articles.add_article"
VIEW = "articles.view_article"

# Who may take a transition: whoever may edit the story, or an editor.
WRITER = "writer"
EDITOR = "editor"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    help: str
    #: desk status (Article.desk_status key) → who may take it from there
    sources: dict
    #: said when the status is wrong
    not_from: str
    #: said to someone who may not
    not_you: str
    #: said after it is done, formatted with {article} and {when} (its publication time)
    done: str


_PUBLISHABLE = {"draft": EDITOR, "review": EDITOR, "scheduled": EDITOR, "withdrawn": EDITOR}
_EDITOR_ONLY = (
    "Only an editor may publish, schedule or withdraw articles. "
    "Use “Submit for review” to send it to the desk."
)

# Withdrawn is not a way back to draft: a withdrawn story keeps answering “410 Gone” at
# its address, and an editor who wants it back publishes it again.
TRANSITIONS = {
    t.action: t
    for t in [
        Transition(
            action="submit",
            label="Submit for review",
            help="Saves and sends it to an editor to check.",
            sources={"draft": WRITER},
            not_from="Only a draft can be submitted for review.",
            not_you="You may not submit this article for review.",
            done="“{article}” is now waiting for review by an editor.",
        ),
        Transition(
            action="publish",
            label="Publish now",
            help="Saves and puts it on the site straight away.",
            sources=_PUBLISHABLE,
            not_from="This article is already live.",
            not_you=_EDITOR_ONLY,
            done="“{article}” is live.",
        ),
        Transition(
            action="schedule",
            label="Schedule",
            help="Saves and publishes it at the “Published at” time (set a future time).",
            sources=_PUBLISHABLE,
            not_from="A live article cannot be scheduled; withdraw it first.",
            not_you=_EDITOR_ONLY,
            done="“{article}” is scheduled: it goes live by itself on {when}.",
        ),
        Transition(
            action="return_to_draft",
            label="Back to draft",
            help="Takes it out of review or off the schedule.",
            sources={"review": WRITER, "scheduled": EDITOR},
            not_from="Only an article in review or on the schedule goes back to draft; "
            "a live article is withdrawn.",
            not_you="Only an editor may take an article off the schedule.",
            done="“{article}” is a draft again.",
        ),
        Transition(
            action="withdraw",
            label="Withdraw",
            help="Takes it off the site; readers get “410 Gone”.",
            sources={"scheduled": EDITOR, "live": EDITOR, "expired": EDITOR},
            not_from="Only a published, scheduled or expired article can be withdrawn.",
            not_you=_EDITOR_ONLY,
            done="“{article}” was withdrawn; readers now get “410 Gone”.",
        ),
    ]
}


def missing_for_publication(*, section, standfirst, lead_image, bylines):
    """What a story should have before it goes out and has not, as a checklist: editors
    are told, and may publish anyway."""
    missing = []
    if section is None:
        missing.append("a section")
    if not bylines:
        missing.append("a byline")
    if not (standfirst or "").strip():
        missing.append("a standfirst")
    if lead_image is not None and not lead_image.alt_text.strip():
        missing.append("alt text for the lead image")
    return missing


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


def _may(user, article, who):
    if who == EDITOR:
        return can_publish(user) and can_edit(user, article)
    if article.pk is None:
        return user.is_active and user.has_perm(ADD)
    return can_edit(user, article)


def refusal(user, article, action, status=None):
    """Why `user` may not take `action` on `article` now: (code, message), or None when
    they may. The code is "workflow" for the wrong status, "permission" for the wrong user.
    `status` is the desk status it moves from (the article's own by default)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        return "workflow", "Unknown action."
    who = transition.sources.get(status or article.desk_status[0])
    if who is None:
        # Someone who may take it from no status at all is told so, not where it stands.
        if not any(_may(user, article, w) for w in set(transition.sources.values())):
            return "permission", transition.not_you
        return "workflow", transition.not_from
    if not _may(user, article, who):
        return "permission", transition.not_you
    return None


def check(user, article, action, status=None):
    """Raise what `refusal` says: ValidationError for the status, PermissionDenied for
    the user."""
    refused = refusal(user, article, action, status)
    if refused is None:
        return
    code, message = refused
    if code == "permission":
        raise PermissionDenied(message)
    raise ValidationError(message, code=code)


def available(user, article):
    """The transitions this user may take on this article now, in the table's order."""
    return [t for t in TRANSITIONS.values() if refusal(user, article, t.action) is None]


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
