"""What an article page shows that does not change between requests is made when it is
saved (articles/derived.py): related stories and structured data."""

import json

import pytest

from articles.models import Article, Author, Correction
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db


def json_ld(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    block = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    return json.loads(block)


def test_a_committed_save_makes_the_structured_data_and_the_related_ranking(
    django_capture_on_commit_callbacks,
):
    section = SectionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        older = ArticleFactory(section=section, tags=["harbour"], headline="Older harbour story")
    with django_capture_on_commit_callbacks(execute=True):
        story = ArticleFactory(
            section=section,
            tags=["harbour"],
            authors=[AuthorFactory(name="Ada Reed")],
            headline="Harbour wall breached",
        )
    story.refresh_from_db()
    assert story.structured_data["headline"] == "Harbour wall breached"
    assert [a["name"] for a in story.structured_data["author"]] == ["Ada Reed"]
    assert story.structured_data["keywords"] == ["harbour"]
    assert story.related_ids == [older.pk]
    # The older story ranks the new one too: relatedness goes both ways.
    assert Article.objects.get(pk=older.pk).related_ids == [story.pk]


def test_reading_a_page_builds_nothing_that_was_made_at_save(
    client, settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    settings.PAGE_CACHE_SECONDS = settings.FRAGMENT_CACHE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        story = ArticleFactory(tags=["harbour"])
    client.get(story.get_absolute_url())
    kept = Article.objects.filter(pk=story.pk).values_list("structured_data", "related_ids").get()
    # A read writes nothing: no UPDATE among the page's queries.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(story.get_absolute_url())
    assert not [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert (
        Article.objects.filter(pk=story.pk).values_list("structured_data", "related_ids").get()
        == kept
    )


def test_a_correction_reaches_the_structured_data_when_it_commits(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        story = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        Correction.objects.create(article=story, text="We misnamed the architect.")
    assert json_ld(client, story)["correction"][0]["text"] == "We misnamed the architect."


def test_renaming_an_author_remakes_the_structured_data_that_names_them(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        story = ArticleFactory(authors=[AuthorFactory(name="Ada Reed", slug="ada")])
    assert json_ld(client, story)["author"][0]["name"] == "Ada Reed"
    author = Author.objects.get(slug="ada")
    author.name = "Ada Reed-Hall"
    author.save()
    assert Article.objects.get(pk=story.pk).structured_data is None
    assert json_ld(client, story)["author"][0]["name"] == "Ada Reed-Hall"
    # ...and the reader who made it again kept it.
    assert Article.objects.get(pk=story.pk).structured_data["author"][0]["name"] == (
        "Ada Reed-Hall"
    )


def test_the_refresh_after_commit_has_a_name_for_robust_on_commit_logging(
    django_capture_on_commit_callbacks,
):
    from articles import derived

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        story = ArticleFactory()
    refresh = next(c for c in callbacks if isinstance(c, derived._Refresh))
    assert str(story.pk) in refresh.__qualname__  # what robust on_commit logs on failure


def test_a_refresh_that_changes_what_a_page_shows_ends_the_page(
    client, settings, django_capture_on_commit_callbacks
):
    """The refresh runs on a worker after the save's commit, and a reader may have
    rendered the page in between: when the ranking changes, the page ends again."""
    settings.PAGE_CACHE_SECONDS = 300
    section = SectionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        story = ArticleFactory(section=section, tags=["harbour"])
    client.get(story.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        ArticleFactory(section=section, tags=["harbour"], headline="A newer harbour story")
    assert "A newer harbour story" in client.get(story.get_absolute_url()).content.decode()
