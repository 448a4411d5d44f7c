"""manage.py import_wordpress: the project's own WXR fixture, and the real WordPress theme
unit test export from ../shared/data when it is there."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image as PILImage
from taggit.models import Tag

from articles.importers.wordpress import convert_content, old_paths, wpautop
from articles.models import Article, Author, Byline, Image, Section, SlugRedirect
from comments.models import Comment
from tests.factories import ArticleFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wordpress"
COURIER = FIXTURES / "courier.xml"
THEME_UNIT_TEST = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "wordpress-theme-unit-test.xml"
)
needs_theme_unit_test = pytest.mark.skipif(
    not THEME_UNIT_TEST.exists(),
    reason=f"the WordPress theme unit test export is not at {THEME_UNIT_TEST} "
    "(../shared/data is only beside the project's own checkouts)",
)

pytestmark = pytest.mark.django_db


def run_import(path, **options):
    out = io.StringIO()
    call_command("import_wordpress", str(path), stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def snapshot():
    """Everything an import writes, in a comparable form."""
    return {
        "articles": sorted(
            Article.objects.values_list(
                "pk",
                "wp_id",
                "slug",
                "headline",
                "status",
                "published_at",
                "version",
                "updated_at",
                "body",
                "section_id",
                "featured",
                "lead_image_id",
            )
        ),
        "comments": sorted(
            Comment.objects.values_list("pk", "wp_id", "status", "parent_id", "body", "name")
        ),
        "authors": sorted(Author.objects.values_list("pk", "slug", "name", "email")),
        "sections": sorted(Section.objects.values_list("pk", "slug", "name")),
        "tags": sorted(Tag.objects.values_list("pk", "slug", "name")),
        "bylines": sorted(Byline.objects.values_list("article_id", "author_id", "position")),
        "tagged": sorted(
            (a.pk, tuple(sorted(a.tags.values_list("pk", flat=True))))
            for a in Article.objects.all()
        ),
        "redirects": sorted(SlugRedirect.objects.values_list("old_path", "article_id")),
        "images": sorted(Image.objects.values_list("pk", "alt_text", "file")),
    }


@pytest.fixture
def media_dir(tmp_path):
    folder = tmp_path / "uploads"
    (folder / "2024" / "03").mkdir(parents=True)
    PILImage.new("RGB", (120, 80), (10, 120, 200)).save(folder / "2024" / "03" / "hall.png")
    return folder


# ---------------------------------------------------------------------------
# The project's own fixture: every case, in a plain clone


def test_fixture_posts_become_articles_with_their_status_dates_and_terms(media_dir):
    output = run_import(COURIER, media_dir=media_dir, timezone="America/New_York")

    # 8 posts: 101 to 104 publish, 105 future, 106 draft, 107 pending, 108 private;
    # 109 is in the trash and the page, menu item and attachments are not posts.
    assert Article.objects.count() == 8
    assert set(Article.objects.values_list("wp_id", flat=True)) == set(range(101, 109))
    statuses = {a.wp_id: a.status for a in Article.objects.all()}
    assert statuses == {
        101: "published",
        102: "published",
        103: "published",
        104: "published",
        105: "published",
        106: "draft",
        107: "review",
        108: "draft",
    }

    budget = Article.objects.get(wp_id=101)
    assert budget.headline == "Council approves the 2024 budget & new parks"
    assert budget.slug == "council-budget"
    assert budget.standfirst == "Seven votes to two."
    assert budget.published_at == datetime.datetime(2024, 3, 1, 9, 30, tzinfo=datetime.UTC)
    assert budget.featured is True  # wp:is_sticky
    assert budget.comments_enabled is True
    assert budget.section.name == "Politics"
    assert sorted(budget.tags.names()) == ["Council", "budget", "café culture"]
    assert [b.author.name for b in budget.bylines.all()] == ["Jane Smith"]
    assert budget.is_live

    # The scheduled post keeps its future (GMT) date and is not live yet.
    bridge = Article.objects.get(wp_id=105)
    assert bridge.published_at == datetime.datetime(2099, 6, 1, 11, 0, tzinfo=datetime.UTC)
    assert bridge.is_scheduled and not bridge.is_live
    # A draft has no GMT date: its local date is read in the site's time zone.
    draft = Article.objects.get(wp_id=106)
    assert draft.published_at is None
    assert draft.created_at == datetime.datetime(2024, 1, 10, 23, 30, tzinfo=datetime.UTC)
    assert draft.slug == "unfinished-draft"

    assert "Articles" in output and "Skipped" in output
    assert "posts with status trash" in output
    assert "2023/07/stadium.jpg (attachment 202)" in output  # the missing featured image


def test_fixture_edge_cases_headlines_slugs_and_bodies(media_dir):
    run_import(COURIER, media_dir=media_dir)

    long_one = Article.objects.get(wp_id=102)
    assert len(long_one.headline) <= 300 and long_one.headline.endswith("…")
    assert long_one.headline.startswith("A very long headline that goes on and on")
    assert len(long_one.slug) <= 300 and not long_one.slug.endswith("-")
    # The Yoast primary category wins over the first one listed.
    assert long_one.section.name == "Politics"
    assert sorted(long_one.tags.names()) == ["Sport", "budget"]  # "Budget" is the same tag
    # A creator written as ">zoe" still finds the author zoe.
    assert [b.author.slug for b in long_one.bylines.all()] == ["zoe"]
    assert long_one.comments_enabled is False

    untitled = Article.objects.get(wp_id=103)
    assert untitled.headline == (
        "Snow closed every school in the district on Wednesday, the first time since 2010."
    )
    assert untitled.slug.startswith("snow-closed-every-school")
    assert untitled.section is None  # only "Uncategorized"

    empty = Article.objects.get(wp_id=104)
    assert empty.headline == "Empty “quotes” — no body"
    assert empty.body == ""

    body = Article.objects.get(wp_id=101).body
    assert "<p>The council voted 7\u20132 on Thursday.<br>\nCouncillors argued" in body
    assert "<h2>What changes</h2>" in body  # h1 is not allowed in a body: it becomes h2
    assert "<strong>Parks</strong> get <em>more</em> money." in body
    # [embed] and a bare provider URL line are embeds (test_import_wordpress_pictures.py);
    # the providers cannot be reached here, so readers get links.
    assert '<figure data-embed="https://vimeo.com/12345"></figure>' in body
    assert '<figure data-embed="https://www.youtube.com/watch?v=abc123"></figure>' in body
    body_html = Article.objects.get(wp_id=101).body_html
    assert 'href="https://vimeo.com/12345"' in body_html
    assert 'href="https://www.youtube.com/watch?v=abc123"' in body_html
    # [caption] of attachment 201 (its file is hall.png) is a figure of the featured image.
    hall = Article.objects.get(wp_id=101).lead_image
    assert f'<figure data-image="{hall.pk}" data-width="inline" data-alt="Town hall">' in body
    assert "<figcaption>The town hall</figcaption>" in body
    assert "[caption" not in body and "[gallery" not in body
    assert "unknown_code" not in body and "Brackets [like these] stay." in body
    assert "<script" not in body and "onclick" not in body and "alert" not in body
    assert "<p>Clean paragraph.</p>" in body

    assert Author.objects.get(slug="zoe").name == "Zoë Ångström"
    assert Author.objects.get(slug="jsmith").email == "jane@courier.example.org"
    assert set(Section.objects.values_list("name", flat=True)) == {"Politics", "Council"}


def test_fixture_comments_keep_status_threading_and_skip_pings(media_dir):
    output = run_import(COURIER, media_dir=media_dir)

    comments = {c.wp_id: c for c in Comment.objects.all()}
    # 507 is a pingback, 508 a trackback; 509 is on a page.
    assert set(comments) == {501, 503, 504, 505, 506}
    assert {k: c.status for k, c in comments.items()} == {
        501: "approved",
        503: "approved",
        504: "pending",
        505: "spam",
        506: "rejected",
    }
    reply = comments[503]  # listed before its parent in the file
    assert reply.parent == comments[501]
    assert reply.article.wp_id == 101
    assert reply.body == "I agree with this (https://example.net/x)."
    assert 'href="https://example.net/x"' in reply.body_html
    assert comments[501].name == "Ann O\u2019Reader"
    assert comments[501].body == "Good news for the parks.\n\nFinally."
    assert comments[501].created_at == datetime.datetime(2024, 3, 1, 10, tzinfo=datetime.UTC)
    assert comments[504].email == ""  # "not-an-email" is not kept
    assert "pingbacks" in output and "trackbacks" in output


def test_fixture_featured_image_found_in_media_dir_and_missing_one_reported(media_dir):
    output = run_import(COURIER, media_dir=media_dir)

    image = Article.objects.get(wp_id=101).lead_image
    assert image is not None
    assert image.alt_text == "The town hall lit up at dusk"
    assert image.caption == "The town hall, where the vote took place."
    assert (image.width, image.height) == (120, 80)
    assert Article.objects.get(wp_id=102).lead_image is None
    assert "Featured images not found" in output and "stadium.jpg" in output


def test_second_import_of_the_fixture_changes_nothing(media_dir):
    run_import(COURIER, media_dir=media_dir)
    before = snapshot()

    output = run_import(COURIER, media_dir=media_dir)

    assert snapshot() == before
    assert Image.objects.count() == 1
    lines = [line.split() for line in output.splitlines()]
    assert ["unchanged", "8"] in lines  # articles
    assert ["unchanged", "5"] in lines  # comments
    assert ["kept", "1"] in lines  # the featured image is not copied again


def test_second_import_updates_what_changed_in_wordpress(tmp_path):
    run_import(COURIER)
    edited = tmp_path / "edited.xml"
    edited.write_text(
        COURIER.read_text(encoding="utf-8").replace(
            "Embargoed until the opening.", "Embargo moved."
        ),
        encoding="utf-8",
    )

    run_import(edited)

    assert Article.objects.count() == 8
    assert Article.objects.get(wp_id=105).body == "<p>Embargo moved.</p>"
    assert Article.objects.get(wp_id=105).version == 2
    assert Article.objects.get(wp_id=101).version == 1


def test_old_wordpress_links_answer_301_to_the_new_address(client):
    run_import(COURIER)
    budget = Article.objects.get(wp_id=101)

    for old in ("/news/2024/03/01/council-budget/", "/?p=101"):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == budget.get_absolute_url()
    assert client.get(budget.get_absolute_url()).status_code == 200
    # A scheduled article's old link does not reveal it.
    assert client.get("/news/?p=105").status_code == 404


def test_dry_run_reports_and_saves_nothing():
    output = run_import(COURIER, dry_run=True)

    assert "Dry run: nothing was saved." in output
    assert ["created", "8"] in [line.split() for line in output.splitlines()]
    assert not Article.objects.exists() and not Author.objects.exists()
    assert not Comment.objects.exists() and not Tag.objects.exists()


def test_old_paths_are_request_paths():
    item = {"link": "https://example.org/blog/2020/01/02/caf%C3%A9/"}
    assert old_paths(item, 7) == ["/?p=7", "/blog/2020/01/02/café/"]
    assert old_paths({"link": "https://example.org/?p=7"}, 7) == ["/?p=7"]


def test_wpautop_matches_wordpress():
    assert wpautop("One\ntwo\n\nThree") == "<p>One<br />\ntwo</p>\n<p>Three</p>\n"
    assert wpautop("<ul>\n<li>a</li>\n</ul>\n\nText") == "<ul>\n<li>a</li>\n</ul>\n<p>Text</p>\n"
    assert wpautop("") == ""


def test_block_editor_content_is_not_given_extra_paragraphs():
    html = convert_content("<!-- wp:paragraph -->\n<p>One\ntwo</p>\n<!-- /wp:paragraph -->")
    assert html == "<p>One\ntwo</p>"


# ---------------------------------------------------------------------------
# Bad files: a clear error, and the database exactly as it was


def _variant(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


BAD_FILES = {
    "truncated": (
        lambda: COURIER.read_bytes()[: len(COURIER.read_bytes()) * 2 // 3],
        ["truncated", "line"],
    ),
    "rss-not-wxr": (
        lambda: (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
            b"<item><title>A story</title><link>https://example.org/a</link></item>"
            b"</channel></rss>"
        ),
        ["not a WordPress export", "wxr_version"],
    ),
    "atom": (
        lambda: b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>',
        ["not a WordPress export", "<feed>"],
    ),
    "empty": (lambda: b"", ["empty"]),
    "invalid-bytes": (
        lambda: COURIER.read_bytes().replace(
            b"Coming soon: the new bridge", b"Coming soon: the new br\xff\xfedge"
        ),
        ["invalid byte sequence for UTF-8", "line"],
    ),
    "entities": (
        lambda: (
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;">]><rss><channel><title>&b;</title></channel></rss>'
        ),
        ["entities"],
    ),
    "mismatched-tag": (
        lambda: COURIER.read_bytes().replace(
            b"<wp:post_name>new-bridge</wp:post_name>", b"<wp:post_name>new-bridge</wp:post_nam>"
        ),
        ["not well-formed XML at line", "mismatched tag"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gives_a_clear_error_and_leaves_the_database_unchanged(case, tmp_path):
    ArticleFactory(headline="Already here", slug="already-here")
    before = snapshot()
    content, expected = BAD_FILES[case]
    path = _variant(tmp_path, f"{case}.xml", content())

    with pytest.raises(CommandError) as error:
        run_import(path)

    message = str(error.value)
    for fragment in expected:
        assert fragment in message, message
    assert "Nothing was imported" in message
    assert snapshot() == before


def test_invalid_bytes_error_names_the_right_line(tmp_path):
    content = COURIER.read_bytes()
    bad = content.replace(b"Coming soon: the new bridge", b"Coming soon: \xc3\x28")
    line = content[: content.index(b"Coming soon")].count(b"\n") + 1
    with pytest.raises(CommandError, match=f"at line {line} "):
        run_import(_variant(tmp_path, "bad.xml", bad))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        run_import(tmp_path / "nope.xml")


# ---------------------------------------------------------------------------
# The real WordPress theme unit test export


@needs_theme_unit_test
def test_theme_unit_test_imports_with_the_exact_counts():
    output = run_import(THEME_UNIT_TEST)

    # Expected numbers were derived independently of the importer, with a one-off regex
    # pass over the file (grep-style, not the XML parser): 186 items = 58 post,
    # 21 page, 37 attachment, 70 nav_menu_item. The 58 posts: wp:status publish 56
    # (one of them, 1168, password-protected), future 1 (1153), draft 1 (1164).
    assert Article.objects.count() == 58
    assert Article.objects.live().count() == 55  # publish, less the password-protected one
    assert Article.objects.scheduled().count() == 1
    assert Article.objects.filter(status="draft").count() == 2  # 1164 and 1168
    assert Article.objects.filter(status="review").count() == 0
    # Two <wp:author> entries; the one post credited to ">themereviewteam" finds its author.
    assert Author.objects.count() == 2
    assert Byline.objects.count() == 58
    assert Author.objects.get(slug="themereviewteam").articles.count() == 19
    # Sections: each post's first category that is not "uncategorized": 6.1, Block,
    # Classic, Unpublished. Tags: post tags plus the other categories, by name ignoring
    # case: 122 distinct.
    assert sorted(Section.objects.values_list("name", flat=True)) == [
        "6.1",
        "Block",
        "Classic",
        "Unpublished",
    ]
    assert Tag.objects.count() == 122
    # <wp:comment> on posts: 28 = 22 + 1 ("comment" type) approved, 1 pending,
    # 2 pingbacks and 2 trackbacks (skipped). 5 more are on pages (skipped with them).
    assert Comment.objects.count() == 24
    assert Comment.objects.filter(status="approved").count() == 23
    assert Comment.objects.filter(status="pending").count() == 1
    for label, count in [
        ("pingbacks", 2),
        ("trackbacks", 2),
        ("page items", 21),
        ("attachment items", 37),
        ("nav_menu_item items", 70),
        ("comments on page items", 5),
    ]:
        assert any(line.split() == [*label.split(), str(count)] for line in output.splitlines()), (
            label
        )
    # Six posts have a _thumbnail_id; with no --media-dir none is found, and all are named.
    assert Image.objects.count() == 0
    assert output.count("(attachment ") == 6


@needs_theme_unit_test
def test_theme_unit_test_edge_cases_come_out_right():
    run_import(THEME_UNIT_TEST)
    by_wp = {a.wp_id: a for a in Article.objects.all()}

    no_title = by_wp[1169]
    assert no_title.headline == (
        "This post has no title, but it still must link to the single post view somehow."
    )
    assert no_title.slug == "edge-case-no-title"
    assert by_wp[1170].headline == "Edge Case: No Content" and by_wp[1170].body == ""
    assert by_wp[1173].headline == "Markup: Title With Markup"
    assert (
        by_wp[1174].headline
        == "Markup: Title With Special Characters ~`!@#$%^&*()-_=+{}[]/\\;:'\"?,.>"
    )
    long_title = by_wp[1175]
    assert long_title.headline.startswith("Taumatawhakatangihangakoauauotamateaturipukaka")
    assert long_title.slug == "title-should-not-overflow-the-content-area"
    # Edge Case: Many Tags has 45 tags and 2 categories: "Classic" (its section) and
    # "Edge Case", the same tag as its tag "edge case".
    assert by_wp[1151].tags.count() == 45
    # Edge Case: Many Categories has 63 categories ("Classic" is its section; two are named
    # "Foo A") and 2 tags, "categories" and "edge case" (also a category): 62 distinct tags,
    # counted by name ignoring case with a one-off regex pass over the file.
    many_categories = by_wp[1152]
    assert many_categories.section.name == "Classic"
    assert many_categories.tags.count() == 62
    scheduled = by_wp[1153]
    assert scheduled.status == "published" and scheduled.is_scheduled
    assert scheduled.published_at == datetime.datetime(2030, 1, 1, 19, 0, 18, tzinfo=datetime.UTC)
    draft = by_wp[1164]
    assert draft.status == "draft" and draft.published_at is None and draft.slug == "draft"
    assert by_wp[1168].status == "draft"  # password-protected: not published
    assert by_wp[1241].featured is True
    assert Article.objects.filter(featured=True).count() == 1

    # Comments 904 → 905 → … → 915: ten levels deep, on "Template: Comments".
    deepest = Comment.objects.get(wp_id=915)
    depth, node = 1, deepest
    while node.parent_id:
        node, depth = node.parent, depth + 1
    assert depth == 10 and node.wp_id == 904
    assert {c.article.wp_id for c in Comment.objects.filter(wp_id__in=range(904, 916))} == {1148}
    assert Comment.objects.get(wp_id=1015).status == "pending"
    assert Comment.objects.get(wp_id=881).name == "John Γιάννης Doe Κάποιος"
    assert not Comment.objects.filter(wp_id__in=[921, 922, 923, 924]).exists()


@needs_theme_unit_test
def test_theme_unit_test_second_import_changes_nothing():
    run_import(THEME_UNIT_TEST)
    before = snapshot()

    output = run_import(THEME_UNIT_TEST)

    assert snapshot() == before
    assert any(line.split() == ["unchanged", "58"] for line in output.splitlines())
    assert any(line.split() == ["unchanged", "24"] for line in output.splitlines())


@needs_theme_unit_test
def test_theme_unit_test_old_permalinks_answer_301(client):
    run_import(THEME_UNIT_TEST)

    # The site was in UTC-7: "Markup: Image Alignment" was /2013/01/10/ there and is
    # 2013-01-11 in UTC here.
    image_alignment = Article.objects.get(wp_id=1177)
    response = client.get("/2013/01/10/markup-image-alignment/")
    assert response.status_code == 301
    assert response["Location"] == image_alignment.get_absolute_url()
    assert client.get(response["Location"]).status_code == 200

    for article in Article.objects.live():
        response = client.get(f"/?p={article.wp_id}")
        assert response.status_code == 301, article.wp_id
        assert response["Location"] == article.get_absolute_url()
    assert client.get("/?p=1153").status_code == 200  # scheduled: just the home page
    assert client.get("/2020/01/01/scheduled/").status_code == 404


@needs_theme_unit_test
def test_theme_unit_test_featured_images_are_found_by_their_upload_paths(tmp_path):
    # The export has no _wp_attached_file: the path comes from the attachment URL
    # (wordpress.com: https://<site>.files.wordpress.com/2008/06/name.jpg).
    uploads = tmp_path / "uploads"
    for relative in (
        "2008/06/dsc20050102_192118_51.jpg",
        "2013/03/featured-image-horizontal.jpg",
        "2013/03/featured-image-vertical.jpg",
        "2010/08/triforce-wallpaper.jpg",
        "2013/03/soworthloving-wallpaper.jpg",
    ):  # 2008/06/img_8399.jpg (attachment 771, on "Block: Gallery") is left missing
        (uploads / relative).parent.mkdir(parents=True, exist_ok=True)
        PILImage.new("RGB", (90, 60), (40, 90, 10)).save(uploads / relative, format="JPEG")

    output = run_import(THEME_UNIT_TEST, media_dir=uploads)

    assert Image.objects.count() == 5
    wind_farm = Article.objects.get(wp_id=51).lead_image
    assert wind_farm.alt_text == "Wind Farm"  # _wp_attachment_image_alt
    assert wind_farm.caption == "Albany wind-farm against the sunset, Western Australia"
    # No alt text on the attachment: its title is used.
    assert Article.objects.get(wp_id=1163).lead_image.alt_text == "triforce-wallpaper"
    assert Article.objects.get(wp_id=1752).lead_image is None
    assert "2008/06/img_8399.jpg (attachment 771)" in output
