"""The article page's query count does not grow with its comments; long threads
are paginated."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def add_thread(article, top, replies_each):
    for _ in range(top):
        parent = CommentFactory(article=article)
        for _ in range(replies_each):
            CommentFactory(article=article, parent=parent)


def count_queries(client, url, settings, status=200):
    settings.PAGE_CACHE_SECONDS = 0  # measure the rendering, not the page cache
    # Related stories are ranked when a save commits (never, in a test transaction):
    # the first reader ranks them instead, once.
    client.get(url)
    cache.clear()  # nor fragments kept by an earlier render
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == status
    return len(queries), response.content.decode()


def test_article_page_queries_do_not_grow_with_comments(client, settings):
    article = ArticleFactory()
    add_thread(article, 2, 1)
    few, html = count_queries(client, article.get_absolute_url(), settings)
    assert 'Comments <span class="comments-count">(4)</span>' in html
    add_thread(article, 40, 3)
    CommentFactory.create_batch(5, article=article, status="pending")
    many, html = count_queries(client, article.get_absolute_url(), settings)
    assert many == few
    assert "(164)" in html


def test_long_threads_are_paginated_with_their_replies(client, settings):
    settings.COMMENTS_PER_PAGE = 5
    article = ArticleFactory()
    tops = [CommentFactory(article=article, body=f"Top comment {n:02d}") for n in range(12)]
    CommentFactory(article=article, parent=tops[6], body="Reply on page two")
    _, first = count_queries(client, article.get_absolute_url(), settings)
    assert "Top comment 00" in first and "Top comment 04" in first
    assert "Top comment 05" not in first
    assert "?comments=3#comments" in first
    _, second = count_queries(client, article.get_absolute_url() + "?comments=2", settings)
    assert "Top comment 05" in second and "Reply on page two" in second
    assert "Top comment 00" not in second
    _, last = count_queries(client, article.get_absolute_url() + "?comments=3", settings)
    assert "Top comment 11" in last
    # A page past the last is not found (and never kept: nobody can make entries at will).
    count_queries(client, article.get_absolute_url() + "?comments=99", settings, status=404)
    _, junk = count_queries(client, article.get_absolute_url() + "?comments=abc", settings)
    assert "Top comment 00" in junk


def test_replies_appear_under_their_comment_oldest_first(client, settings):
    article = ArticleFactory()
    first = CommentFactory(article=article, body="First top")
    CommentFactory(article=article, body="Second top")
    CommentFactory(article=article, parent=first, body="Answer to first")
    _, html = count_queries(client, article.get_absolute_url(), settings)
    assert html.index("First top") < html.index("Answer to first") < html.index("Second top")


def test_only_approved_comments_are_shown(client, settings):
    article = ArticleFactory()
    for status in ("pending", "rejected", "spam"):
        CommentFactory(article=article, status=status, body=f"A {status} comment")
    CommentFactory(article=article, body="An approved comment")
    _, html = count_queries(client, article.get_absolute_url(), settings)
    assert "An approved comment" in html
    for status in ("pending", "rejected", "spam"):
        assert f"A {status} comment" not in html


def test_the_thread_joins_markup_made_when_each_comment_was_saved(client, settings):
    """Reading the page renders no comment: each one's finished markup was made when
    it was saved, and the thread only joins them."""
    settings.PAGE_CACHE_SECONDS = 0
    article = ArticleFactory()
    add_thread(article, 5, 2)
    response = client.get(article.get_absolute_url())
    used = [template.name for template in response.templates]
    assert "comments/thread.html" in used
    assert "comments/includes/comment.html" not in used
    stored = CommentFactory(article=article, name="Kept Name", body="Stored words")
    _, html = count_queries(client, article.get_absolute_url(), settings)
    assert stored.html in html


def test_markup_is_remade_when_what_it_shows_changes():
    comment = CommentFactory(name="Before", body="Old words")
    comment.name, comment.body = "After", "New words"
    comment.save(update_fields=["name", "body"])
    comment.refresh_from_db()
    assert "After" in comment.html and "New words" in comment.html
    assert "Before" not in comment.html and "Old words" not in comment.html_closed
    assert f"?parent={comment.pk}" in comment.html
    assert f"?parent={comment.pk}" not in comment.html_closed
    assert f'id="comment-{comment.pk}"' in comment.html_closed


def test_a_closed_thread_uses_the_markup_without_reply_links(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    article = ArticleFactory(comments_enabled=False)
    comment = CommentFactory(article=article, body="Closed thread words")
    _, html = count_queries(client, article.get_absolute_url(), settings)
    assert comment.html_closed in html
    assert f"?parent={comment.pk}" not in html


def test_later_pages_of_comments_cost_the_same_whatever_the_thread(client, settings):
    settings.COMMENTS_PER_PAGE = 5
    article = ArticleFactory()
    add_thread(article, 12, 1)
    few, html = count_queries(client, article.get_absolute_url() + "?comments=2", settings)
    assert html.count('class="comment-thread"') == 5
    add_thread(article, 30, 3)
    many, html = count_queries(client, article.get_absolute_url() + "?comments=2", settings)
    assert many == few
    assert html.count('class="comment-thread"') == 5
