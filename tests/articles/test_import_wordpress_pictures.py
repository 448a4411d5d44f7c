"""manage.py import_wordpress keeps an archive's pictures and embeds: <img> from the
uploads folder, [caption], [gallery], the block editor's figures, [embed] and bare
provider addresses (tests/fixtures/wordpress/pictures.xml)."""

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image as PILImage

from articles.importers.wordpress import convert_content
from articles.importers.wordpress.media import MediaLibrary
from articles.importers.wordpress.reader import Attachment, Header
from articles.importers.wordpress.summary import Summary
from articles.models import Article, Image

PICTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wordpress" / "pictures.xml"

pytestmark = pytest.mark.django_db


def run_import(media_dir, path=PICTURES):
    out = io.StringIO()
    call_command(
        "import_wordpress", str(path), media_dir=str(media_dir), stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


@pytest.fixture
def uploads(tmp_path):
    """The site's uploads folder: the originals only (no resized copies), no ferry.jpg."""
    folder = tmp_path / "wp-content" / "uploads"
    (folder / "2024" / "05").mkdir(parents=True)
    PILImage.new("RGB", (400, 260), (20, 60, 140)).save(
        folder / "2024" / "05" / "harbour.jpg", format="JPEG"
    )
    PILImage.new("RGB", (360, 240), (200, 120, 30)).save(folder / "2024" / "05" / "market.png")
    return folder


def row(output, label):
    """The count on the summary line `label`."""
    for line in output.splitlines():
        if line.split()[:-1] == label.split():
            return int(line.split()[-1])
    raise AssertionError(f"no summary line {label!r} in:\n{output}")


def figures(body):
    return re.findall(r"<figure ([^>]*)>(.*?)</figure>", body)


def test_pictures_captions_galleries_and_embeds_become_figures(uploads, oembed_provider):
    output = run_import(uploads)

    assert Image.objects.count() == 2  # harbour.jpg and market.png, each once
    harbour = Image.objects.get(source="wordpress:pics.example.org/2024/05/harbour.jpg")
    market = Image.objects.get(source="wordpress:pics.example.org/2024/05/market.png")
    assert harbour.alt_text == "Boats in the harbour"  # the attachment's alt text
    assert market.alt_text == "Market day"  # no alt anywhere: the attachment's title
    assert market.caption == "The Saturday market."
    assert (harbour.width, harbour.height) == (400, 260)  # the original, not a resized copy

    festival = Article.objects.get(wp_id=301)
    assert figures(festival.body) == [
        (f'data-image="{harbour.pk}" data-width="inline" data-alt="Boats at dawn"', ""),
        (
            f'data-image="{market.pk}" data-width="inline"',
            "<figcaption>Stalls on the quay</figcaption>",
        ),
        # [gallery ids="12,999,11,13"]: in order; 999 is not in the export, 13's file is
        # not in the uploads folder.
        (f'data-gallery="{market.pk},{harbour.pk}"', ""),
        ('data-embed="https://video.test/watch/abc"', ""),
        ('data-embed="https://video.test/watch/down1"', ""),
        (
            f'data-image="{harbour.pk}" data-width="inline" '
            'data-alt="x&quot; onmouseover=&quot;alert(5)"',
            "",
        ),
    ]
    # Not a provider's address: a link. A picture not in the uploads folder: a link to
    # where it was, with its alt text. A javascript: picture: its alt text only.
    assert (
        '<a href="https://example.net/not-a-provider" rel="noopener noreferrer">' in festival.body
    )
    assert (
        'The old picture <a href="https://pics.example.org/wp-content/uploads/2019/01/gone.jpg" '
        'rel="noopener noreferrer">Gone picture</a> is lost.' in festival.body
    )
    assert "<p>bad picture</p>" in festival.body

    block = Article.objects.get(wp_id=302)
    assert figures(block.body) == [
        (
            f'data-image="{harbour.pk}" data-width="wide"',
            "<figcaption>The harbour again</figcaption>",
        ),
        ('data-embed="https://video.test/watch/xyz"', ""),
    ]
    assert set(festival.body_images.all()) == {harbour, market}
    # [gallery] without ids: the pictures uploaded to the post, in their menu order.
    assert figures(Article.objects.get(wp_id=303).body) == [
        (f'data-gallery="{market.pk},{harbour.pk}"', "")
    ]

    # The block editor's gallery: its pictures in order, its caption; the picture whose
    # file is missing stays a link after it.
    block_gallery = Article.objects.get(wp_id=304).body
    assert figures(block_gallery) == [
        (
            f'data-gallery="{harbour.pk},{market.pk}"',
            "<figcaption>A day at the harbour</figcaption>",
        )
    ]
    assert ">The ferry</a>" in block_gallery

    assert row(output, "inline images") == 4
    assert row(output, "with captions") == 2
    assert row(output, "galleries") == 3
    assert row(output, "gallery pictures") == 6
    assert row(output, "gallery ids not found") == 1
    assert row(output, "embeds") == 3
    assert row(output, "links (not embeddable)") == 1
    assert row(output, "pictures not found") == 4  # ferry.jpg twice, gone.jpg, javascript:
    assert row(output, "pictures added to the library") == 2
    assert "2024/05/ferry.jpg, attachment 13" in output
    assert "2019/01/gone.jpg" in output


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found += [(tag, name, value or "") for name, value in attrs]


def test_reader_page_shows_the_figures_and_nothing_hostile(client, uploads, oembed_provider):
    run_import(uploads)
    festival = Article.objects.get(wp_id=301)
    harbour = Image.objects.get(source__endswith="harbour.jpg")
    market = Image.objects.get(source__endswith="market.png")

    response = client.get(festival.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<figure class="story-figure story-figure--inline">') == 3
    assert 'alt="Boats at dawn"' in page and harbour.srcset and harbour.srcset in page
    assert 'width="400" height="260"' in page
    assert "Stalls on the quay</figcaption>" in page
    gallery = page[page.index('class="story-gallery"') :]
    assert gallery.index(market.largest_url) < gallery.index(harbour.largest_url)
    # The resolved embed is a facade whose frame loads only after a click; the one whose
    # provider did not answer is a link.
    assert f'data-frame="{oembed_provider.origin}/frame/abc"' in page
    assert '<a href="https://video.test/watch/down1" rel="nofollow noopener">' in page
    assert oembed_provider.origin in response["Content-Security-Policy"]

    attributes = _Attributes()
    attributes.feed(page)
    assert not [a for a in attributes.found if a[1].startswith("on")]
    assert not [a for a in attributes.found if a[2].strip().lower().startswith("javascript:")]
    assert "alert(2)" not in page and "alert(3)" not in page


def test_running_the_import_again_makes_no_second_picture(uploads, oembed_provider):
    run_import(uploads)
    before = {
        "images": sorted(Image.objects.values_list("pk", "file", "source")),
        "bodies": sorted(Article.objects.values_list("pk", "body", "version")),
    }

    output = run_import(uploads)

    assert Image.objects.count() == 2
    assert {
        "images": sorted(Image.objects.values_list("pk", "file", "source")),
        "bodies": sorted(Article.objects.values_list("pk", "body", "version")),
    } == before
    assert row(output, "unchanged") == 4
    assert row(output, "pictures added to the library") == 0


def test_the_same_file_in_another_export_is_the_same_picture(uploads, tmp_path, oembed_provider):
    run_import(uploads)
    other = tmp_path / "other.xml"
    other.write_text(
        PICTURES.read_text()
        .replace("<wp:post_id>301</wp:post_id>", "<wp:post_id>401</wp:post_id>")
        .replace("<wp:post_id>302</wp:post_id>", "<wp:post_id>402</wp:post_id>")
        .replace("<wp:post_id>303</wp:post_id>", "<wp:post_id>403</wp:post_id>")
        .replace("<wp:post_id>304</wp:post_id>", "<wp:post_id>404</wp:post_id>")
        .replace("harbour-festival", "harbour-festival-again")
        .replace("block-harbour", "block-harbour-again")
        .replace("market-pictures", "market-pictures-again")
        .replace("block-gallery", "block-gallery-again")
    )

    run_import(uploads, other)

    assert Article.objects.count() == 8
    assert Image.objects.count() == 2


def test_without_the_media_folder_nothing_is_lost(tmp_path, oembed_provider):
    output = run_import(tmp_path / "empty")

    festival = Article.objects.get(wp_id=301)
    assert Image.objects.count() == 0
    assert "data-image" not in festival.body and "data-gallery" not in festival.body
    assert (
        '<a href="https://pics.example.org/wp-content/uploads/2024/05/harbour-300x195.jpg" '
        'rel="noopener noreferrer">Boats at dawn</a>' in festival.body
    )
    assert "<p>Stalls on the quay</p>" in festival.body  # the caption stays as text
    assert 'data-embed="https://video.test/watch/abc"' in festival.body
    assert row(output, "inline images") == 0
    # and two in the gallery of 303, three in the block gallery of 304
    assert row(output, "pictures not found") == 14


def test_http_provider_address_embeds_as_https_and_others_are_links(oembed_provider):
    body = convert_content(
        "Before.\n\nhttp://video.test/watch/abc\n\n[embed]https://elsewhere.example/v/1[/embed]"
    )

    assert '<figure data-embed="https://video.test/watch/abc"></figure>' in body
    assert '<a href="https://elsewhere.example/v/1" rel="noopener noreferrer">' in body
    assert "<figure data-embed" not in body.split("watch/abc")[1]


def test_resized_copies_mean_the_original_unless_the_upload_has_that_name(tmp_path):
    folder = tmp_path / "uploads" / "2020" / "02"
    folder.mkdir(parents=True)
    for name in ("chart.png", "chart-300x200.png", "icon-150x150.png", "icon.png"):
        PILImage.new("RGB", (20, 20)).save(folder / name)
    header = Header(site_url="https://example.org")
    header.attachments[5] = Attachment(wp_id=5, attached_file="2020/02/icon-150x150.png")
    media = MediaLibrary(header, tmp_path / "uploads", Summary())
    site = "https://example.org/wp-content/uploads/2020/02"

    assert media.find_upload(f"{site}/chart-300x200.png").name == "chart.png"
    assert media.find_upload(f"{site}/icon-150x150.png").name == "icon-150x150.png"
    assert media.find_upload(f"{site}/../../../../etc/passwd") is None
    assert media.find_upload("https://elsewhere.example/photos/chart.png") is None
    assert media.find_upload("javascript:alert(1)//uploads/2020/02/chart.png") is None


def test_a_dry_run_leaves_no_picture_files_behind(uploads, settings, oembed_provider):
    out = io.StringIO()
    call_command(
        "import_wordpress",
        str(PICTURES),
        media_dir=str(uploads),
        dry_run=True,
        stdout=out,
        stderr=io.StringIO(),
    )

    assert "Dry run: nothing was saved." in out.getvalue()
    assert row(out.getvalue(), "pictures added to the library") == 2
    assert Image.objects.count() == 0 and Article.objects.count() == 0
    # Originals live under images/, renditions under renditions/ (the embeds' thumbnails,
    # which the save's embed code copies, are not the import's).
    root = Path(settings.MEDIA_ROOT)
    files = [p for folder in ("images", "renditions") for p in (root / folder).rglob("*")]
    assert [p for p in files if p.is_file()] == []
