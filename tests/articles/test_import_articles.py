"""manage.py import_articles: plain text and Markdown, with and without front matter."""

import datetime
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles.models import Article, Author, Section
from tests.factories import ArticleFactory

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"

pytestmark = pytest.mark.django_db


def run_import(*paths, **options):
    out = io.StringIO()
    call_command("import_articles", *map(str, paths), stdout=out, **options)
    return out.getvalue()


def test_plain_text_without_front_matter_is_a_draft_with_paragraphs():
    output = run_import(SAMPLES / "wire.txt")

    article = Article.objects.get()
    assert article.headline == "Flood warning issued for the Eastfield valley"
    assert article.status == Article.Status.DRAFT
    assert article.published_at is None
    assert article.slug == "flood-warning-issued-for-the-eastfield-valley"
    # Blocks separated by blank lines are paragraphs; hard-wrapped lines are joined.
    assert article.body == (
        "<p>The Environment Agency issued a flood warning for the Eastfield valley on "
        "Tuesday evening after two days of heavy rain.</p>"
        "<p>Residents near the river were told to move valuables upstairs and to keep "
        "away from the water's edge.</p>"
        '<p>"We expect the river to peak overnight," a spokesperson said.</p>'
    )
    assert "draft" in output and "Article import" in output


def test_plain_text_with_one_paragraph_per_line():
    run_import(SAMPLES / "lines.txt")

    article = Article.objects.get()
    assert article.headline == "Market reopens after fire"
    assert article.body == (
        "<p>Traders returned to the covered market on Monday.</p>"
        "<p>The fire in March destroyed twelve stalls.</p>"
        "<p>Repairs cost \u00a32.4m.</p>"
    )


def test_utf8_with_bom_and_front_matter_sets_everything():
    run_import(SAMPLES / "bom.txt")

    article = Article.objects.get()
    assert article.headline == "Schools to stay open in snow"  # no BOM in the headline
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at == datetime.datetime(2024, 5, 2, 7, 15, tzinfo=datetime.UTC)
    assert article.is_live
    assert article.section.name == "Local News"
    assert article.standfirst == "Snow days are over, the council says."
    assert [b.author.name for b in article.bylines.all()] == [
        "Jane Smith",
        "Zo\u00eb \u00c5ngstr\u00f6m",
    ]
    assert sorted(article.tags.names()) == ["schools", "weather"]
    assert article.body == (
        "<p>Head teachers agreed a new plan on Wednesday.</p>"
        "<p>Buses will run on gritted routes only.</p>"
    )


def test_markdown_with_front_matter_is_rendered_and_sanitised():
    run_import(SAMPLES / "story.md")

    article = Article.objects.get()
    assert article.headline == "Festival line-up announced"
    assert article.status == Article.Status.REVIEW
    assert article.section.name == "Culture"
    assert [a.name for a in article.authors.all()] == ["Priya Natarajan"]
    assert sorted(article.tags.names()) == ["festival", "music"]
    assert "<strong>Eastfield Festival</strong>" in article.body
    assert 'href="https://example.org/acts"' in article.body
    assert "<h2>Who is playing</h2>" in article.body
    assert "<li>The Brass Band</li>" in article.body
    assert "script" not in article.body and "alert" not in article.body


def test_existing_sections_and_authors_are_reused_and_options_give_defaults():
    section = Section.objects.create(name="Local News", slug="local")
    author = Author.objects.create(name="Jane Smith", slug="jane")

    run_import(SAMPLES / "bom.txt", SAMPLES / "wire.txt", section="Weather", author=["Desk"])

    assert Section.objects.count() == 2
    schools = Article.objects.get(headline="Schools to stay open in snow")
    assert schools.section == section
    assert schools.bylines.first().author == author
    flood = Article.objects.get(headline__startswith="Flood warning")
    assert flood.section.name == "Weather"
    assert [a.name for a in flood.authors.all()] == ["Desk"]


def test_a_folder_imports_every_text_and_markdown_file(tmp_path):
    for name in ("wire.txt", "lines.txt", "story.md"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")

    run_import(tmp_path, status="review")

    assert Article.objects.count() == 3
    assert set(Article.objects.values_list("status", flat=True)) == {"review"}


def test_same_headline_twice_gets_a_unique_slug():
    ArticleFactory(slug="flood-warning-issued-for-the-eastfield-valley")
    run_import(SAMPLES / "wire.txt")
    assert Article.objects.filter(slug__startswith="flood-warning-issued").count() == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("latin1.txt", r"latin1\.txt: not valid UTF-8: invalid byte sequence at line 1"),
        ("empty.txt", r"empty\.txt: the file is empty"),
        ("blank.txt", r"blank\.txt: the file is empty"),
        ("missing.txt", r"missing\.txt: no such file or folder"),
    ],
)
def test_bad_files_give_a_clear_error_and_import_nothing(name, message):
    before = Article.objects.count()
    # The good file comes first: nothing of it may be left behind.
    with pytest.raises(CommandError, match=message) as error:
        run_import(SAMPLES / "wire.txt", SAMPLES / name)
    assert "Nothing was imported" in str(error.value)
    assert Article.objects.count() == before
    assert not Section.objects.exists() and not Author.objects.exists()


def test_another_encoding_can_be_named():
    run_import(SAMPLES / "latin1.txt", encoding="latin-1")
    article = Article.objects.get()
    assert article.headline == "Caf\u00e9 owners protest"


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("sectoin: News", r"line 2: front matter line 'sectoin: News'"),
        ("status: live", r"status 'live' is not one of draft, review, published"),
        ("date: next tuesday", r"date 'next tuesday' is not a date"),
    ],
)
def test_front_matter_mistakes_are_named(tmp_path, front_matter, message):
    path = tmp_path / "story.txt"
    path.write_text(f"---\n{front_matter}\n---\nHeadline\n\nText.\n", encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        run_import(path)
    assert not Article.objects.exists()


def test_unclosed_front_matter_is_an_error(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("---\nsection: News\ntags: a, b\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no closing ---"):
        run_import(path)


def test_markdown_pictures_next_to_the_file_become_library_images_and_figures():
    from articles.models import Image

    output = run_import(SAMPLES / "with-pictures" / "harbour.md")

    article = Article.objects.get()
    image = Image.objects.get()  # one file, one library image, however often it is shown
    assert image.alt_text == "The harbour wall at dawn"
    assert image.caption == "The wall before the storm"
    assert image.width == 800 and image.renditions
    image.file.open("rb")
    assert b"CameraMaker" not in image.file.read()  # metadata stripped, as for any upload
    image.file.close()
    assert article.body.count(f'<figure data-image="{image.pk}" data-width="inline">') == 2
    assert "<figcaption>The wall before the storm</figcaption>" in article.body
    assert "An inline picture keeps its words." in article.body
    assert "<p>A picture elsewhere</p>" in article.body and "example.org" not in article.body
    assert list(article.body_images.all()) == [image]
    assert 'alt="The harbour wall at dawn"' in article.body_html
    assert "figures from files" in output and "2" in output.split("figures from files")[1][:20]


def test_a_missing_picture_stops_the_import_before_anything_is_written(tmp_path):
    story = tmp_path / "story.md"
    story.write_text("# Headline\n\nText.\n\n![Gone](missing.jpg)\n")
    with pytest.raises(CommandError, match=r"missing\.jpg cannot be read"):
        run_import(story)
    assert not Article.objects.exists()


def test_a_body_nested_thousands_deep_is_a_clear_error(tmp_path):
    """Issue 17, item 8: refused before sanitising, naming the file; nothing imported."""
    path = tmp_path / "deep.md"
    path.write_text("# Deep\n\n" + "<ul><li>" * 5000 + "bottom\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"deep\.md: The body is nested more than 64"):
        run_import(path)
    assert not Article.objects.exists()
