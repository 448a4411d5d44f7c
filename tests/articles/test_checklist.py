"""The publication checklist: publishing a story without a section, a byline, a
standfirst or its lead image's alt text says what is missing; pressing again publishes."""

import pytest

from articles.models import Article, Image
from tests.articles.desk import change_url, form_data, post_change
from tests.factories import ArticleFactory, AuthorFactory, ImageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def test_publishing_a_bare_story_shows_the_checklist_then_publishes_anyway(client, editor):
    picture = ImageFactory()
    Image.objects.filter(pk=picture.pk).update(alt_text="")  # an imported picture
    story = ArticleFactory(review=True, section=None, standfirst="", lead_image=picture)
    client.force_login(editor)

    response = post_change(client, story, "publish")
    assert response.status_code == 200
    html = response.content.decode()
    for gap in ("a section", "a byline", "a standfirst", "alt text for the lead image"):
        assert gap in html
    assert Article.objects.get(pk=story.pk).status == Article.Status.REVIEW

    # The same button again, from the form as it came back: published as it is.
    again = form_data(response)
    again["_workflow"] = "publish"
    assert client.post(change_url(story), again).status_code == 302
    assert Article.objects.get(pk=story.pk).is_live


def test_a_complete_story_goes_out_at_the_first_press(client, editor):
    story = ArticleFactory(review=True, authors=[AuthorFactory()], lead_image=ImageFactory())
    client.force_login(editor)
    assert post_change(client, story, "publish").status_code == 302
    assert Article.objects.get(pk=story.pk).is_live


def test_a_byline_added_in_the_same_save_counts(client, editor):
    story = ArticleFactory(review=True)
    author = AuthorFactory()
    client.force_login(editor)
    response = post_change(client, story, "publish", **{"bylines-0-author": author.pk})
    assert response.status_code == 302
    assert Article.objects.get(pk=story.pk).is_live


def test_bulk_publishing_names_what_each_story_lacks(client, editor):
    from django.urls import reverse

    story = ArticleFactory(review=True, standfirst="")
    client.force_login(editor)
    html = client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish_selected", "_selected_action": [story.pk]},
    ).content.decode()
    assert "goes out missing a byline, a standfirst" in html
