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


# The page's finished markup (Article.page_html) ------------------------------------


def full_render(client, article):
    """The page as the first reader after a change gets it (no page or fragment cache)."""
    return client.get(article.get_absolute_url()).content.decode()


def kept_markup(article):
    return Article.objects.values_list("page_html", flat=True).get(pk=article.pk)


@pytest.fixture
def renders_in_full(settings):
    settings.PAGE_CACHE_SECONDS = settings.FRAGMENT_CACHE_SECONDS = 0


def test_the_first_full_render_keeps_the_pages_markup_and_the_next_reads_it(
    client, renders_in_full, django_assert_num_queries
):
    story = ArticleFactory(
        headline="Harbour wall breached",
        authors=[AuthorFactory(name="Ada Reed")],
        tags=["harbour"],
    )
    Article.objects.filter(pk=story.pk).update(page_html=None)
    first = full_render(client, story)
    kept = kept_markup(story)
    assert "Harbour wall breached" in kept["top"] and "Ada Reed" in kept["top"]
    assert 'rel="tag">harbour</a>' in kept["rest"]
    assert '<link rel="canonical"' in kept["head"]
    # Read again: the same page, without reading bylines, tags or corrections.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        again = full_render(client, story)
    assert again == first
    tables = " ".join(q["sql"] for q in queries)
    for table in ("articles_byline", "taggit_tag", "articles_correction"):
        assert table not in tables


def _rename_section(story):
    story.section.name = "Harbour Affairs"
    story.section.save()
    return "Harbour Affairs"


def _rename_author(story):
    author = story.bylines.get().author
    author.name = "Ada Reed-Lovelace"
    author.save()
    return "Ada Reed-Lovelace"


def _rename_tag(story):
    tag = story.tags.get()
    tag.name = "Harbours and docks"
    tag.save()
    return "Harbours and docks"


def _add_tag(story):
    story.tags.add("lighthouses")
    return "lighthouses"


def _add_byline(story):
    from articles.models import Byline

    Byline.objects.create(article=story, author=AuthorFactory(name="Tom Quay"), position=2)
    return "Tom Quay"


def _add_correction(story):
    Correction.objects.create(article=story, text="The wall is 40 metres long, not 400.")
    return "not 400"


def _edit_story(story):
    story.refresh_from_db()
    story.standfirst = "Sea water reached the old town."
    story.save()
    return "Sea water reached the old town."


def _change_lead_picture(story):
    from tests.factories import ImageFactory

    image = ImageFactory(alt_text="The breach at dawn")
    Article.objects.filter(pk=story.pk).update(lead_image=image, page_html=None)
    image.alt_text = "The breach at dawn, from the pier"
    image.save()
    return "The breach at dawn, from the pier"


def _rename_series(story):
    from articles.models import Series

    series = Series.objects.create(title="The storm", slug="the-storm")
    story.refresh_from_db()
    story.series = series
    story.save()
    series.title = "The great storm"
    series.save()
    return "The great storm"


@pytest.mark.parametrize(
    "change",
    [
        _rename_section,
        _rename_author,
        _rename_tag,
        _add_tag,
        _add_byline,
        _add_correction,
        _edit_story,
        _change_lead_picture,
        _rename_series,
    ],
    ids=lambda change: change.__name__.strip("_"),
)
def test_whatever_the_markup_shows_changing_reaches_the_next_full_render(
    client, renders_in_full, change
):
    story = ArticleFactory(
        headline="Harbour wall breached",
        authors=[AuthorFactory(name="Ada Reed")],
        tags=["harbour"],
    )
    full_render(client, story)
    assert kept_markup(story) is not None
    shown = change(story)
    story.refresh_from_db()
    assert shown in full_render(client, story)
    # ...and what is kept now is the new markup.
    assert shown in json.dumps(kept_markup(story))


def test_markup_made_from_an_older_generation_is_never_kept(client, renders_in_full):
    """A render that read the article before a change committed must not keep what it
    made once the change has cleared the markup."""
    from articles import derived
    from articles.views import ArticlePage

    story = ArticleFactory(headline="Harbour wall breached")
    Article.objects.filter(pk=story.pk).update(page_html=None)
    before = Article.objects.get(pk=story.pk)
    made = derived.render_page(ArticlePage(before, request=None))
    # Meanwhile an editor saves a new headline (clearing the markup, a new generation).
    story.refresh_from_db()
    story.headline = "Harbour wall holds"
    story.save()
    Article.objects.filter(pk=story.pk).update(page_html=None)
    derived.keep_page_html(before, made)
    assert kept_markup(story) is None
    assert "Harbour wall holds" in full_render(client, story)


def test_markup_made_for_another_site_address_is_made_again(client, renders_in_full, settings):
    from articles import derived

    story = ArticleFactory()
    full_render(client, story)
    settings.NEWSROOM_SITE_URL = "https://news.example.net"
    derived.page_html_format.cache_clear()
    try:
        assert 'href="https://news.example.net/' in full_render(client, story)
    finally:
        derived.page_html_format.cache_clear()


def test_previews_never_keep_markup_and_show_the_draft(client, editor):
    story = ArticleFactory(draft=True, headline="Draft: harbour wall")
    client.force_login(editor)
    from django.urls import reverse

    response = client.get(reverse("articles:preview", kwargs={"pk": story.pk}))
    assert "Draft: harbour wall" in response.content.decode()
    assert kept_markup(story) is None


def _card_changes(story, other):
    other.refresh_from_db()
    other.headline = "Sea defences funded in full"
    other.save()
    return "Sea defences funded in full"


def _card_section_renamed(story, other):
    other.section.name = "Coast and Sea"
    other.section.save()
    return "Coast and Sea"


def _card_picture_changed(story, other):
    other.lead_image.width, other.lead_image.height = 999, 555
    other.lead_image.save()
    return 'width="999" height="555"'


@pytest.mark.parametrize(
    "change",
    [_card_changes, _card_section_renamed, _card_picture_changed],
    ids=lambda change: change.__name__.strip("_"),
)
def test_a_related_storys_card_is_kept_with_its_page_and_follows_its_changes(
    client, renders_in_full, change
):
    """ "More on this story" shows each story's card as kept with that story's markup:
    one query reads the cards; whatever a card shows changing reaches the next render."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from articles.models import RelatedLink
    from tests.factories import ImageFactory

    story = ArticleFactory(headline="Harbour wall breached")
    other = ArticleFactory(
        headline="Sea defences funded",
        section=SectionFactory(name="Coast"),
        lead_image=ImageFactory(),
    )
    RelatedLink.objects.create(article=story, position=0, target=other)
    Article.objects.filter(pk=other.pk).update(page_html=None)
    first = full_render(client, story)
    assert "Sea defences funded" in first
    # Reading the related story's card kept its whole page markup, card and all.
    assert "Sea defences funded" in kept_markup(other)["card"]
    with CaptureQueriesContext(connection) as queries:
        assert full_render(client, story) == first
    card_reads = [q["sql"] for q in queries if "page_html" in q["sql"] and "card" in q["sql"]]
    assert len(card_reads) == 1
    assert "articles_section" not in card_reads[0] and "articles_image" not in card_reads[0]

    shown = change(story, other)
    assert shown in full_render(client, story)
    assert shown in kept_markup(other)["card"]
