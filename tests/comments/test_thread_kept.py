"""The first page of each comment thread is kept whole with its article
(comments/thread.py): made once per change, never older than the thread."""

import pytest
from django.utils import timezone

from articles.models import Article
from comments import thread
from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def kept(article):
    return Article.objects.values_list("thread_html", flat=True).get(pk=article.pk)


def page(client, article):
    return client.get(article.get_absolute_url()).content.decode()


@pytest.fixture
def no_kept_pages(settings):
    settings.PAGE_CACHE_SECONDS = settings.FRAGMENT_CACHE_SECONDS = 0


def test_an_approval_clears_the_list_at_once_and_its_commit_makes_it_again(
    moderator, django_capture_on_commit_callbacks
):
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory(article=article, body="First to speak")
    assert "First to speak" in kept(article)["open"]
    waiting = CommentFactory(article=article, status="pending", body="Second to speak")
    assert kept(article) is not None  # a comment waiting changes nothing readers see
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        waiting.approve(by=moderator)
        # Before the commit nobody can read the old list.
        assert kept(article) is None
    assert callbacks
    whole = kept(article)
    assert "Second to speak" in whole["open"] and whole["total"] == 2
    # Unapproving it takes it out again.
    with django_capture_on_commit_callbacks(execute=True):
        Comment.objects.get(pk=waiting.pk).reject(by=moderator)
    assert "Second to speak" not in kept(article)["open"]


def test_many_comments_in_one_transaction_make_the_list_once(
    django_capture_on_commit_callbacks,
):
    article = ArticleFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        for n in range(5):
            CommentFactory(article=article, body=f"Comment {n}")
    makers = [c for c in callbacks if isinstance(c, thread._Make)]
    assert len(makers) == 1


def test_a_reader_who_finds_no_list_makes_and_keeps_it(client, no_kept_pages):
    article = ArticleFactory()
    CommentFactory(article=article, body="Kept by the first reader")
    assert kept(article) is None  # its commit's work has not run in this test
    assert "Kept by the first reader" in page(client, article)
    assert "Kept by the first reader" in kept(article)["open"]


def test_a_list_made_from_an_older_thread_is_never_kept():
    article = ArticleFactory()
    CommentFactory(article=article, body="Before")
    read_before = Article.objects.only("id", "thread_html_generation").get(pk=article.pk)
    # Meanwhile a moderator approves another comment (a new generation)...
    CommentFactory(article=article, body="Meanwhile")
    # ...so the list made from what was read before is served but not kept.
    thread.make(read_before)
    assert kept(article) is None


def test_the_kept_list_is_the_page_a_reader_would_have_joined(client, no_kept_pages):
    article = ArticleFactory()
    first = CommentFactory(article=article, body="Top one")
    CommentFactory(article=article, parent=first, body="A reply")
    CommentFactory(article=article, body="Top two")
    kept_page = page(client, article)  # made and kept
    assert kept(article) is not None
    Article.objects.filter(pk=article.pk).update(thread_html=None)
    joined = Comment.objects.thread_page(Article.objects.get(pk=article.pk), 1, kept=False)[
        "list_html"
    ]
    assert joined in kept_page
    assert kept_page == page(client, article)


def test_a_closed_thread_shows_the_kept_list_without_reply_links(client, no_kept_pages):
    article = ArticleFactory()
    CommentFactory(article=article, body="Said before closing")
    assert "Reply</a>" in page(client, article)
    Article.objects.filter(pk=article.pk).update(
        comments_close_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    html = page(client, article)
    assert "Said before closing" in html and "Reply</a>" not in html


def test_saving_an_article_read_before_an_approval_keeps_the_new_list(
    moderator, editor, django_capture_on_commit_callbacks
):
    """Article.save() never writes back what others keep up to date."""
    article = ArticleFactory()
    waiting = CommentFactory(article=article, status="pending", body="Approved meanwhile")
    opened_by_editor = Article.objects.get(pk=article.pk)
    with django_capture_on_commit_callbacks(execute=True):
        waiting.approve(by=moderator)
    opened_by_editor.standfirst = "An edit made meanwhile."
    opened_by_editor.save()
    assert "Approved meanwhile" in kept(article)["open"]


def test_the_page_reads_the_threads_counts_from_the_kept_list(
    client, no_kept_pages, moderator, settings, django_capture_on_commit_callbacks
):
    """No count of the thread on a full render while its list is kept; while it is being
    made again the page counts it, and a comment page past the last is still a 404."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.COMMENTS_PER_PAGE = 2
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            CommentFactory(article=article, body=f"Comment {n}")
        CommentFactory(article=article, body="A reply", parent=Comment.objects.first())
    assert (kept(article)["total"], kept(article)["top"], kept(article)["pages"]) == (4, 3, 2)
    with CaptureQueriesContext(connection) as queries:
        html = page(client, article)
    assert 'comments-count">(4)' in html
    assert not [q for q in queries if 'COUNT("comments_comment"' in q["sql"]]
    assert client.get(article.get_absolute_url() + "?comments=3").status_code == 404

    # Between an approval and its commit's work the list is not kept: counted then.
    waiting = [
        CommentFactory(article=article, status="pending", body=body) for body in ("Five", "Six")
    ]
    with django_capture_on_commit_callbacks(execute=False):
        for comment in waiting:
            comment.approve(by=moderator)
    assert kept(article) is None
    with CaptureQueriesContext(connection) as queries:
        assert client.get(article.get_absolute_url() + "?comments=3").status_code == 200
    assert [q for q in queries if 'COUNT("comments_comment"' in q["sql"]]
    assert 'comments-count">(6)' in page(client, article)
