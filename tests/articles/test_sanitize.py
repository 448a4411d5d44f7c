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


# -- A body nested thousands deep (issue 17, item 8) ---------------------------------

DEEP = "<ul><li>" * 60_000 + "deep" + "</li></ul>" * 60_000


@pytest.fixture
def sanitiser_runs(monkeypatch):
    """How many times the sanitiser parses a body (a spy on the real cleaner)."""
    from articles import richtext

    runs = []
    real = richtext._clean_once

    def counted(text):
        runs.append(len(text))
        return real(text)

    monkeypatch.setattr(richtext, "_clean_once", counted)
    return runs


def test_a_body_nested_thousands_deep_is_a_form_error_before_sanitising(
    client, editor, sanitiser_runs
):
    article = ArticleFactory(draft=True, body="<p>Before</p>")
    client.force_login(editor)
    sanitiser_runs.clear()
    response = post_change(client, article, body=DEEP)
    assert response.status_code == 200
    assert "nested more than 64 levels deep" in response.content.decode()
    assert sanitiser_runs == []  # refused before any parser built its tree
    assert Article.objects.get(pk=article.pk).body == "<p>Before</p>"


def test_nesting_tricks_do_not_hide_depth():
    from django.core.exceptions import ValidationError

    from articles.richtext import check_nesting

    # End tags with nothing open, void tags and self-closing slashes close nothing.
    for step in ("<div></span>", "<div><br></p>", "<div/>", "<UL><li></x>"):
        with pytest.raises(ValidationError):
            check_nesting(step * 100)
    # Well-formed deep-ish editor output passes, and so does a long flat body.
    check_nesting("<blockquote>" + "<ul><li><p>x</p>" * 20 + "</li></ul>" * 20 + "</blockquote>")
    check_nesting("<p>x</p>" * 50_000)
    # Optional end tags left out, as pasted and imported HTML does.
    check_nesting("<ul>" + "<li>item" * 500 + "</ul>" + "<p>para" * 500)
    with pytest.raises(ValidationError):  # a list item's list is still deeper
        check_nesting("<ul><li>" * 40)


def test_an_importer_gets_a_value_error_naming_the_depth():
    from articles.richtext import sanitize_body

    with pytest.raises(ValueError, match="nested more than 64"):
        sanitize_body(DEEP)


def test_a_desk_save_sanitises_the_body_once(client, editor, sanitiser_runs):
    article = ArticleFactory(draft=True, body="<p>Before</p>")
    client.force_login(editor)
    sanitiser_runs.clear()
    response = post_change(client, article, body="<p>After <strong onclick='x()'>bold</strong></p>")
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).body == "<p>After <strong>bold</strong></p>"
    # One sanitising: a first pass, and the second that shows the text is settled.
    assert len(sanitiser_runs) == 2
