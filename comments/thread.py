"""The first page of an article's comment thread, kept whole with the article.

Most readers read the first page of comments, and the thread changes whenever a moderator
approves a comment: the first reader after each approval would otherwise join the page's
comments again. So the page's finished list (`templates/comments/thread_list.html`, open
and closed, with its counts) is kept in `Article.thread_html`, made once per change:

- a change to the approved thread (a comment approved, unapproved, edited or deleted)
  clears it at once, in the changing transaction, and raises
  `Article.thread_html_generation`;
- once that transaction commits, the list is made again (once per article however many
  comments the transaction changed), and kept only if the generation it was read at is
  still the article's: a list made from a thread that changed meanwhile is never kept;
- a reader who finds none (an import, a change whose making failed) makes and keeps it.

Other pages of the thread are joined when read (`CommentQuerySet.thread_page`).
"""

import functools
import hashlib

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import get_template, render_to_string

from newsroom.tasks import pending_on_commit

LIST_TEMPLATE = "comments/thread_list.html"
# The thread's counts kept with its list: what an article page needs of them.
KEPT_COUNTS = ("total", "top", "pages")


def _article_model():
    return apps.get_model("articles", "Article")


@functools.cache
def kept_format():
    """What a kept list was made with: its template, the page size and the counts it
    carries."""
    made_with = [
        get_template(LIST_TEMPLATE).template.source,
        str(settings.COMMENTS_PER_PAGE),
        *KEPT_COUNTS,
    ]
    return hashlib.sha256("\0".join(made_with).encode()).hexdigest()[:16]


def usable(kept):
    if isinstance(kept, dict) and kept.get("format") == kept_format():
        return kept
    return None


def render_list(page):
    """The finished list of one page of comments (`thread_page`'s dict)."""
    return render_to_string(LIST_TEMPLATE, page).strip()


def make(article):
    """Make the first page's list, open and closed, for `article` (an Article with its
    `thread_html_generation`); keep it unless the thread changed since it was read.
    Returns it."""
    from .models import Comment

    pages = {
        variant: Comment.objects.thread_page(article, 1, closed=closed, kept=False)
        for variant, closed in (("open", False), ("closed", True))
    }
    kept = {
        "format": kept_format(),
        **{count: pages["open"][count] for count in KEPT_COUNTS},
        **{variant: page["list_html"] for variant, page in pages.items()},
    }
    _article_model().objects.filter(
        pk=article.pk, thread_html_generation=article.thread_html_generation
    ).update(thread_html=kept)
    return kept


def counts(article):
    """The approved thread's counts of `article` (with its `thread_html`): `total` and
    `top`, from the kept list when there is one (no query), else counted."""
    kept = usable(article.thread_html)
    if kept is not None:
        return {"total": kept["total"], "top": kept["top"]}
    from .models import Comment

    return Comment.objects.counts(article)


class _Make:
    """Making one article's list once its transaction commits (once per transaction)."""

    def __init__(self, article_id):
        self.article_id = article_id
        self.done = False
        self.__qualname__ = f"comment thread of article {article_id}"

    def __call__(self):
        self.done = True
        article = (
            _article_model()
            .objects.filter(pk=self.article_id)
            .only("id", "thread_html_generation")
            .first()
        )
        if article is not None:
            make(article)


def changed(article_id):
    """The approved thread of `article_id` changed: clear its kept list now, make it again
    once the change commits."""
    _article_model().objects.filter(pk=article_id).update(
        thread_html=None, thread_html_generation=F("thread_html_generation") + 1
    )
    waiting = pending_on_commit(
        lambda callback: isinstance(callback, _Make) and callback.article_id == article_id
    )
    if waiting is None:
        transaction.on_commit(_Make(article_id), robust=True)


# Receivers, connected in CommentsConfig.ready().


def comment_saved(sender, instance, raw=False, **kwargs):
    if not raw and instance.status == instance.Status.APPROVED:
        changed(instance.article_id)


def comment_deleted(sender, instance, **kwargs):
    if instance.status == instance.Status.APPROVED:
        changed(instance.article_id)


def comment_moderated(sender, comment, from_status, to_status, **kwargs):
    if comment.Status.APPROVED in (from_status, to_status):
        changed(comment.article_id)
