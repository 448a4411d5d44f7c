"""Revisions: compare any two, restore one exactly, never lose anything."""

import pytest
from django.test import Client
from django.urls import reverse

from articles import revisions
from articles.models import Article, Byline
from tests.articles.desk import post_change
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def restore_url(article, revision):
    return reverse("admin:articles_article_restore", args=[article.pk, revision.pk])


def test_restore_reproduces_the_chosen_revision_exactly(editor):
    first_author, second_author = AuthorFactory(), AuthorFactory()
    article = ArticleFactory(
        draft=True,
        headline="Bridge to close",
        standfirst="For a week.",
        body="<p>The bridge will <strong>close</strong> on Monday.</p>",
        authors=[first_author, second_author],
        tags=["roads", "bridges"],
    )
    chosen = revisions.record(article, editor)

    article.headline = "Bridge stays open"
    article.standfirst = "Plans changed."
    article.body = "<p>Entirely new text.</p>"
    article.section = SectionFactory()
    article.seo_title = "Changed"
    article.save()
    Byline.objects.filter(article=article).delete()
    Byline.objects.create(article=article, author=second_author, position=0)
    article.tags.set(["other"])
    revisions.record(article, editor)

    new = revisions.restore(Article.objects.get(pk=article.pk).revisions.last(), by=editor)
    article.refresh_from_db()
    restored = revisions.snapshot(article)
    for key in [*revisions.CONTENT_FIELDS, "bylines", "tags"]:
        assert restored[key] == chosen.data[key], key
    assert new.data == restored
    assert article.revisions.count() == 3  # restoring added one, destroyed none


def test_restore_keeps_the_workflow_state(editor):
    article = ArticleFactory(draft=True, headline="Old")
    chosen = revisions.record(article, editor)
    article.publish(by=editor)
    revisions.restore(chosen, by=editor)
    article.refresh_from_db()
    assert article.headline == "Old"
    assert article.is_live


def test_diff_shows_the_change_word_by_word():
    old = {"headline": "Council approves budget", "body": "<p>The vote was close.</p>"}
    new = {"headline": "Council rejects budget", "body": "<p>The vote was close.</p><p>More.</p>"}
    changes = {change.name: change.chunks for change in revisions.diff(old, new)}
    assert ("delete", "approves") in changes["headline"]
    assert ("insert", "rejects") in changes["headline"]
    assert ("insert", "More.") in [(op, text.strip()) for op, text in changes["body"]]
    assert "standfirst" not in changes


def test_compare_view_shows_a_readable_diff(client, editor):
    article = ArticleFactory(draft=True, headline="Ferry timetable cut")
    older = revisions.record(article, editor)
    Article.objects.filter(pk=article.pk).update(headline="Ferry timetable restored")
    article.refresh_from_db()
    newer = revisions.record(article, editor)
    client.force_login(editor)
    response = client.get(
        reverse("admin:articles_article_compare", args=[article.pk]),
        {"a": newer.pk, "b": older.pk},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<del>cut</del>" in html
    assert "<ins>restored</ins>" in html


def test_history_page_lists_revisions_with_restore_buttons_for_editors(client, editor, reporter):
    article = ArticleFactory(draft=True, created_by=reporter)
    revisions.record(article, reporter)
    revisions.record(article, editor)
    url = reverse("admin:articles_article_revisions", args=[article.pk])
    client.force_login(editor)
    html = client.get(url).content.decode()
    assert html.count('name="a"') == 2  # one row per saved version
    assert "Restore" in html
    client.force_login(reporter)
    html = client.get(url).content.decode()
    assert "Restore</button>" not in html


def test_restore_is_post_only_and_needs_csrf(editor):
    article = ArticleFactory(draft=True, headline="Kept")
    revision = revisions.record(article, editor)
    Article.objects.filter(pk=article.pk).update(headline="Changed")
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.get(restore_url(article, revision)).status_code == 405
    assert client.post(restore_url(article, revision)).status_code == 403
    assert Article.objects.get(pk=article.pk).headline == "Changed"


def test_restore_through_the_admin_creates_a_new_revision(client, editor):
    article = ArticleFactory(draft=True, headline="One")
    client.force_login(editor)
    post_change(client, article, headline="Two")
    post_change(client, article, headline="Three")
    first_save = article.revisions.order_by("id")[1]
    response = client.post(restore_url(article, first_save))
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).headline == "Two"
    assert list(article.revisions.values_list("data__headline", flat=True)) == [
        "Two",
        "Three",
        "Two",
        "One",
    ]


def test_revision_of_another_article_cannot_be_restored(client, editor):
    article, other = ArticleFactory(draft=True), ArticleFactory(draft=True)
    foreign = revisions.record(other, editor)
    client.force_login(editor)
    assert client.post(restore_url(article, foreign)).status_code == 404


def test_an_imported_story_saved_in_the_admin_shows_its_history(client, editor):
    """Its first revision has no author (the import made it); the pages still answer,
    and statuses read as the desk says them."""
    import io
    from pathlib import Path

    from django.core.management import call_command

    courier = Path(__file__).resolve().parents[1] / "fixtures" / "wordpress" / "courier.xml"
    call_command("import_wordpress", str(courier), stdout=io.StringIO(), stderr=io.StringIO())
    article = Article.objects.get(wp_id=101)
    client.force_login(editor)
    assert post_change(client, article, "withdraw").status_code == 302

    history = list(article.revisions.order_by("created_at", "id"))
    assert history[0].created_by is None
    page = client.get(reverse("admin:articles_article_revisions", args=[article.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<td>Withdrawn</td>" in html and "<td>Published</td>" in html

    compare = client.get(
        reverse("admin:articles_article_compare", args=[article.pk]),
        {"a": history[0].pk, "b": history[-1].pk},
    )
    assert compare.status_code == 200
    text = compare.content.decode()
    assert "<del>Published</del>" in text and "<ins>Withdrawn</ins>" in text


def test_restoring_a_revision_naming_deleted_things_restores_the_rest_and_says_what_was_left(
    client, editor
):
    """Issue 17, item 9: a section, lead image, author and body picture deleted since the
    revision was made are left as they are now (no 500); the rest comes back."""
    from articles.models import Author, Image, Section
    from tests.factories import ImageFactory

    old_section, new_section = SectionFactory(name="Old desk"), SectionFactory(name="New desk")
    old_image, new_image = ImageFactory(), ImageFactory()
    body_image = ImageFactory()
    gone_author, kept_author = AuthorFactory(name="Gone Reporter"), AuthorFactory(name="Kept")
    article = ArticleFactory(
        draft=True,
        headline="Harbour wall repaired",
        section=old_section,
        lead_image=old_image,
        lead_image_caption="The old wall",
        body=f'<p>Text.</p><figure data-image="{body_image.pk}"></figure>',
        authors=[gone_author, kept_author],
    )
    chosen = revisions.record(article, editor)

    article.headline = "Later headline"
    article.section, article.lead_image = new_section, new_image
    article.lead_image_caption = "The new wall"
    article.body = "<p>Later text.</p>"
    article.save()
    Byline.objects.filter(article=article).delete()
    Byline.objects.create(article=article, author=kept_author, position=0)
    revisions.record(article, editor)
    Section.objects.filter(pk=old_section.pk).delete()
    Image.objects.filter(pk__in=[old_image.pk, body_image.pk]).delete()
    Author.objects.filter(pk=gone_author.pk).delete()

    client.force_login(editor)
    response = client.post(restore_url(article, chosen), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Restored the version of" in page
    assert "left as it is now" in page
    for words in ("the section", "the lead image", "1 byline", "1 picture in the body"):
        assert words in page, words

    article.refresh_from_db()
    assert article.headline == "Harbour wall repaired"  # what exists came back
    assert "<p>Text.</p>" in article.body
    assert article.section == new_section  # what was deleted stays as it was
    assert article.lead_image == new_image
    assert article.lead_image_caption == "The new wall"
    assert [b.author for b in article.bylines.order_by("position")] == [kept_author]
    event = article.events.get(action="restore")
    assert "left as they were" in event.detail


def test_the_body_diff_keeps_headings_and_links_visible():
    text = '<p>See <a href="https://example.org/{}">the plan</a> &amp; map.</p>'
    old = {"body": "<h2>Road works</h2>" + text.format("a")}
    new = {"body": "<h3>Road works</h3>" + text.format("b")}
    (change,) = revisions.diff(old, new)
    removed = "".join(text for op, text in change.chunks if op == "delete")
    added = "".join(text for op, text in change.chunks if op == "insert")
    assert "##" in removed and "###" in added
    assert "https://example.org/a" in removed and "https://example.org/b" in added
    whole = "".join(text for _op, text in change.chunks)
    assert "& map." in whole and "&amp;" not in whole
