import pytest
from django.db import IntegrityError, transaction

from comments.models import BlockedTerm, Comment, CommentFlag, ModerationEvent
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def assert_refused(make_row):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_row()


def test_unknown_comment_status_is_refused():
    comment = CommentFactory()
    assert_refused(lambda: Comment.objects.filter(pk=comment.pk).update(status="hidden"))


def test_reply_must_belong_to_the_same_article_as_its_parent():
    parent = CommentFactory()
    elsewhere = ArticleFactory()
    assert_refused(lambda: CommentFactory(article=elsewhere, parent=parent))


def test_reply_cannot_be_moved_to_another_article():
    parent = CommentFactory()
    reply = CommentFactory(article=parent.article, parent=parent)
    assert_refused(lambda: Comment.objects.filter(pk=reply.pk).update(article=ArticleFactory()))


def test_reply_on_the_same_article_is_accepted():
    parent = CommentFactory()
    reply = CommentFactory(article=parent.article, parent=parent)
    assert list(parent.replies.all()) == [reply]


def test_one_report_per_reporter_per_comment():
    comment = CommentFactory()
    CommentFlag.objects.create(comment=comment, reason="abuse", reporter_hash="abc")
    assert_refused(
        lambda: CommentFlag.objects.create(comment=comment, reason="again", reporter_hash="abc")
    )


def test_moderation_event_statuses_must_be_known():
    comment = CommentFactory()
    assert_refused(
        lambda: ModerationEvent.objects.create(
            comment=comment, from_status="x", to_status="approved"
        )
    )


def test_blocked_term_action_must_be_known():
    assert_refused(lambda: BlockedTerm.objects.create(term="word", action="explode"))


def test_save_renders_html_and_keeps_the_status_it_is_given():
    comment = CommentFactory(body="<b>hi</b>\n\nsee https://example.org", status="spam")
    comment.refresh_from_db()
    assert comment.status == "spam"
    assert "<b>" not in comment.body_html
    assert "&lt;b&gt;" in comment.body_html
    assert 'href="https://example.org" rel="nofollow ugc noopener"' in comment.body_html
