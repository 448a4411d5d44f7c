"""The desk's forms name every control Django's admin leaves unnamed (issue 16, item 9):
split date and time inputs, the inputs of tabular inlines, the library's thumbnails."""

import re

import pytest
from django.urls import reverse

from tests.factories import ArticleFactory, AuthorFactory, ImageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def aria_label(html, element_id):
    tag = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', html)
    assert tag, element_id
    found = re.search(r'aria-label="([^"]*)"', tag.group(0))
    return found and found.group(1)


def test_split_date_and_time_inputs_are_named_for_their_field(client, editor):
    article = ArticleFactory()
    client.force_login(editor)
    html = client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert aria_label(html, "id_due_at_0") == "Due at: date"
    assert aria_label(html, "id_due_at_1") == "Due at: time"
    assert aria_label(html, "id_published_at_0") == "Published at: date"
    # The visible "Date:" and "Time:" are part of the names (WCAG 2.5.3, label in name).
    assert "Date:" in html and "Time:" in html


def test_byline_inputs_are_named_by_column_and_row(client, editor):
    article = ArticleFactory(authors=[AuthorFactory(), AuthorFactory()])
    client.force_login(editor)
    html = client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert aria_label(html, "id_bylines-0-position") == "Position, byline 1"
    assert aria_label(html, "id_bylines-1-position") == "Position, byline 2"
    assert aria_label(html, "id_bylines-1-DELETE") == "Delete byline 2"
    assert aria_label(html, "id_bylines-0-author") == "Author, byline 1"
    # The empty row the "Add another" button copies has its own name.
    assert aria_label(html, "id_bylines-__prefix__-author") == "Author, new byline"


def test_each_thumbnail_link_is_named_by_the_pictures_alt_text(client, editor):
    ImageFactory(alt_text="Boats in the harbour at dawn")
    client.force_login(editor)
    html = client.get(reverse("admin:articles_image_changelist")).content.decode()
    assert 'class="desk-thumb"' in html
    assert 'alt="Boats in the harbour at dawn"' in html
    assert 'alt=""' not in html


def test_the_breaking_banner_form_names_its_times_too(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:articles_breaking_add")).content.decode()
    assert aria_label(html, "id_starts_at_0") == "Starts at: date"
    assert aria_label(html, "id_ends_at_1") == "Ends at: time"
