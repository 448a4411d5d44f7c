"""Whatever is pasted into the body, only the allowed tags and attributes are stored."""

import pytest

from articles.models import Article
from articles.richtext import sanitize_body
from tests.articles.desk import post_change
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

PASTED = (
    "<p>Hello <script>alert('x')</script>world</p>"
    '<p onclick="steal()" style="color:red">Click <b onmouseover="x()">me</b></p>'
    '<p><a href="javascript:alert(1)">bad link</a> '
    '<a href="JaVaScRiPt:alert(1)">sneaky</a> '
    '<a href="https://example.org/" target="_blank" onfocus="x()">good link</a></p>'
    '<img src="x" onerror="alert(1)">'
    '<iframe src="https://evil.example/"></iframe>'
    "<h2>Subheading</h2><blockquote><p>Quote</p></blockquote>"
    "<ul><li>One</li></ul>"
)


def assert_clean(html):
    lowered = html.lower()
    assert "<script" not in lowered
    assert "alert('x')" not in lowered
    assert "onclick" not in lowered and "onmouseover" not in lowered
    assert "onerror" not in lowered and "onfocus" not in lowered
    assert "javascript:" not in lowered
    assert "<iframe" not in lowered and "<img" not in lowered
    assert "style=" not in lowered
    assert 'target="_blank"' not in lowered
    # What a story needs survives.
    assert '<a href="https://example.org/"' in html
    assert "<h2>Subheading</h2>" in html
    assert "<blockquote><p>Quote</p></blockquote>" in html
    assert "<ul><li>One</li></ul>" in html
    assert "<b>me</b>" in html or "<strong>me</strong>" in html or "me" in html


def test_model_save_sanitises_the_body():
    article = ArticleFactory(draft=True, body=PASTED)
    article.refresh_from_db()
    assert_clean(article.body)


def test_admin_post_sanitises_the_body(client, editor):
    article = ArticleFactory(draft=True)
    client.force_login(editor)
    post_change(client, article, body=PASTED)
    assert_clean(Article.objects.get(pk=article.pk).body)


def test_links_get_safe_rel():
    html = sanitize_body('<p><a href="https://example.org/" rel="opener">x</a></p>')
    assert 'rel="noopener noreferrer"' in html


def test_word_count_is_computed_when_saved():
    article = ArticleFactory(draft=True, body="<p>One two <em>three</em></p><p>four</p>")
    assert Article.objects.get(pk=article.pk).word_count == 4


def test_empty_editor_paragraph_is_an_empty_body():
    assert sanitize_body("<p></p>") == ""
