"""Nothing a reader writes becomes executable markup: a corpus of payloads posted
in the body and the name, then the article page, the admin queue, the forms and
pages that quote a comment, and the feeds are parsed and checked."""

import pytest
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from tests.comments.conftest import post_comment
from tests.factories import ArticleFactory
from tests.security.xss_corpus import check, payloads

pytestmark = pytest.mark.django_db

CORPUS = payloads()


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 150


@pytest.fixture
def hostile_article(db, settings, moderator):
    """Every payload posted through the real posting path, in the body and the
    name, then approved so that readers would see it."""
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 0
    settings.COMMENTS_RATE_LIMIT_HOURLY = 0
    settings.COMMENTS_SPAM_WAVE_ARTICLES = 0
    settings.COMMENTS_PER_PAGE = 1000
    settings.PAGE_CACHE_SECONDS = 0
    article = ArticleFactory(headline="A hostile thread")
    client = Client()
    for number, payload in enumerate(CORPUS):
        response = post_comment(
            client,
            article,
            ip=f"10.1.{number // 250}.{number % 250}",
            name=payload[:100],
            email=f"r{number}@example.org",
            body=f"Payload {number}: {payload}",
        )
        assert response.status_code in (200, 400), (payload, response.status_code)
        check(response.content.decode())
    posted = Comment.objects.filter(article=article)
    assert posted.count() >= len(CORPUS) - 5  # a few names are not valid names
    for comment in posted.exclude(status="approved"):
        comment.approve(by=moderator)
    return article


def test_article_page_has_no_executable_markup(client, hostile_article):
    html = client.get(hostile_article.get_absolute_url()).content.decode()
    checker = check(html)
    assert html.count('class="comment"') >= len(CORPUS) - 5
    assert checker.ugc_links > 10  # real http(s) links are still made clickable
    assert "Payload 0: <script>" not in html
    assert "Payload 0: &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_admin_queue_has_no_executable_markup(hostile_article, moderator):
    client = Client()
    client.force_login(moderator)
    url = reverse("admin:comments_comment_changelist")
    pages = -(-Comment.objects.count() // 50)
    for page in range(pages):
        response = client.get(url, {"status": "all", "p": page + 1})
        assert response.status_code == 200
        check(response.content.decode())
    comment = Comment.objects.filter(article=hostile_article).first()
    change = client.get(reverse("admin:comments_comment_change", args=[comment.pk]))
    check(change.content.decode())


def test_pages_that_quote_a_comment_have_no_executable_markup(client, hostile_article):
    for comment in Comment.objects.filter(article=hostile_article):
        reply_form = client.get(
            reverse("comments:form", args=[hostile_article.pk]), {"parent": comment.pk}
        )
        check(reply_form.content.decode())
        check(client.get(reverse("comments:flag", args=[comment.pk])).content.decode())


def test_form_errors_do_not_reflect_executable_markup(client):
    article = ArticleFactory()
    for payload in CORPUS:
        response = post_comment(client, article, email=payload[:50], body=payload, name=payload)
        assert response.status_code in (400, 429)
        check(response.content.decode())
        response = post_comment(
            client, article, email=payload[:50], body=payload, name=payload, fetch=True
        )
        check(response.content.decode())


def test_feeds_have_no_executable_markup(client, hostile_article):
    for name in ("articles:feed_latest", "articles:feed_latest_atom"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        xml = response.content.decode()
        assert "alert(1)" not in xml
        # Feed item descriptions are HTML escaped into XML: unescape and check them too.
        import html as html_module

        check(html_module.unescape(xml))
