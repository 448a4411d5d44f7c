"""Uploads are judged by content; what is stored carries no metadata; renditions exist."""

import io
import random
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from articles import images
from articles.forms import ImageAdminForm
from articles.models import Image
from tests.factories import png_bytes

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def jpeg_with_gps(width=800, height=600):
    img = PILImage.new("RGB", (width, height), (30, 120, 200))
    exif = PILImage.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def png_chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width=100_000, height=100_000):
    """A tiny file that claims ten billion pixels: only its header is ever read."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + png_chunk(b"IEND", b"")
    )


def upload(data, name):
    return SimpleUploadedFile(name, data, content_type="image/png")


def form_errors(data, name):
    form = ImageAdminForm(
        data={"alt_text": "A picture", "focal_x": "0.5", "focal_y": "0.5"},
        files={"file": upload(data, name)},
    )
    assert not form.is_valid()
    return " ".join(form.errors["file"])


def test_decompression_bomb_is_a_form_error_not_a_crash():
    assert "too many pixels" in form_errors(png_bomb(), "bomb.png")


def test_image_over_the_configured_pixel_limit_is_refused(settings):
    settings.IMAGE_MAX_PIXELS = 1000
    assert "too many pixels" in form_errors(png_bytes(64, 48), "small.png")


def test_file_over_the_size_limit_is_refused(settings):
    settings.IMAGE_MAX_UPLOAD_BYTES = 100
    assert "the limit is" in form_errors(png_bytes(), "big.png")


def test_truncated_file_is_refused():
    data = jpeg_with_gps()
    assert "damaged or incomplete" in form_errors(data[: len(data) // 2], "cut.jpg")


def test_png_with_a_script_appended_is_refused():
    data = png_bytes() + b"<script>alert(document.cookie)</script>"
    assert "refused" in form_errors(data, "innocent.png")
    buffer = io.BytesIO()
    noise = random.Random(1).randbytes(30_000)  # incompressible, so the file is large
    PILImage.frombytes("RGB", (100, 100), noise).save(buffer, format="PNG")
    big = buffer.getvalue() + b"<script>alert(document.cookie)</script>"
    assert len(big) > 4096
    assert "extra data hidden" in form_errors(big, "innocent.png")


def test_png_with_any_data_after_iend_is_refused():
    assert "extra data hidden" in form_errors(png_bytes() + b"PK\x03\x04zipzip", "x.png")


def test_svg_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert "SVG and HTML are refused" in form_errors(svg, "logo.svg")


def test_svg_with_xml_prolog_is_refused():
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'
    assert "SVG and HTML are refused" in form_errors(svg, "logo.png")


def test_file_whose_extension_lies_is_refused():
    message = form_errors(png_bytes(), "holiday.jpg")
    assert "named .jpg but is really a PNG" in message


def test_other_formats_are_refused():
    buffer = io.BytesIO()
    PILImage.new("RGB", (20, 20)).save(buffer, format="BMP")
    assert "BMP files are not accepted" in form_errors(buffer.getvalue(), "x.bmp")


def test_alt_text_is_required():
    form = ImageAdminForm(
        data={"alt_text": "   ", "focal_x": "0.5", "focal_y": "0.5"},
        files={"file": upload(png_bytes(), "ok.png")},
    )
    assert not form.is_valid()
    assert "alt_text" in form.errors


def test_inspect_accepts_each_allowed_format():
    for fmt, name in [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp"), ("GIF", "a.gif")]:
        buffer = io.BytesIO()
        PILImage.new("RGB", (40, 30), (10, 200, 10)).save(buffer, format=fmt)
        assert images.inspect_upload(upload(buffer.getvalue(), name), name).format == fmt


def test_gps_and_camera_exif_are_absent_from_the_stored_original():
    data = jpeg_with_gps()
    with PILImage.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(GPS_IFD)  # the test file really has GPS
    form = ImageAdminForm(
        data={"alt_text": "The harbour", "focal_x": "0.5", "focal_y": "0.5"},
        files={"file": upload(data, "harbour.jpg")},
    )
    assert form.is_valid(), form.errors
    image = form.save()
    image.file.open("rb")
    stored = image.file.read()
    image.file.close()
    with PILImage.open(io.BytesIO(stored)) as saved:
        exif = saved.getexif()
        assert not exif.get_ifd(GPS_IFD)
        assert 0x010F not in exif
        assert "exif" not in saved.info
    assert b"SpyCam" not in stored


def test_gps_is_stripped_even_when_saved_outside_the_admin():
    from django.core.files.base import ContentFile

    image = Image.objects.create(file=ContentFile(jpeg_with_gps(), name="p.jpg"), alt_text="x")
    image.file.open("rb")
    stored = image.file.read()
    image.file.close()
    assert b"SpyCam" not in stored
    for entry in image.renditions.values():
        with open(image.file.storage.path(entry["path"]), "rb") as handle:
            assert b"SpyCam" not in handle.read()


def test_renditions_are_made_on_save_and_never_wider_than_the_original():
    from django.core.files.base import ContentFile

    image = Image.objects.create(
        file=ContentFile(jpeg_with_gps(1000, 500), name="w.jpg"), alt_text="x"
    )
    assert set(image.renditions) == {"w320", "w640", "w960", "16x9", "4x3", "1x1"}
    assert image.renditions["w640"]["width"] == 640
    assert image.renditions["w640"]["height"] == 320
    assert image.renditions["1x1"]["width"] == image.renditions["1x1"]["height"] == 500
    assert image.srcset.split(", ")[0].endswith(" 320w")
    assert image.default_url == image.renditions["w960"]["url"]
    assert image.rendition_url("w1920") == image.file.url
    with image.file.storage.open(image.renditions["w320"]["path"]) as handle:
        assert PILImage.open(handle).format == "WEBP"


def test_crop_keeps_the_focal_point_in_frame():
    # A wide picture, focal point at the far right: the square crop hugs the right edge.
    assert images.focal_crop_box(1600, 900, 1, 1, 0.95, 0.5) == (700, 0, 1600, 900)
    assert images.focal_crop_box(1600, 900, 1, 1, 0.05, 0.5) == (0, 0, 900, 900)
    assert images.focal_crop_box(1600, 900, 1, 1, 0.5, 0.5) == (350, 0, 1250, 900)


def test_moving_the_focal_point_remakes_the_crops():
    from django.core.files.base import ContentFile

    image = Image.objects.create(
        file=ContentFile(jpeg_with_gps(1000, 500), name="w.jpg"), alt_text="x"
    )
    before = image.renditions["1x1"]["url"]
    image.focal_x = 0.9
    image.save()
    image.refresh_from_db()
    assert image.renditions["1x1"]["url"] != before
    assert not image.file.storage.exists(before.removeprefix("/media/"))


def test_rebuild_renditions_remakes_stale_ones_and_skips_current(capsys):
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    image = Image.objects.create(file=ContentFile(png_bytes(400, 300), name="a.png"), alt_text="x")
    current = Image.objects.create(
        file=ContentFile(png_bytes(400, 300), name="b.png"), alt_text="y"
    )
    Image.objects.filter(pk=image.pk).update(renditions={})
    call_command("rebuild_renditions")
    out = capsys.readouterr().out
    assert "remade for 1 images; 1 already current" in out
    image.refresh_from_db()
    assert set(image.renditions) == {"w320", "16x9", "4x3", "1x1"}
    current.refresh_from_db()
    assert images.renditions_current(current)


def test_editing_a_live_articles_picture_ends_the_pages_that_show_it(client, editor, change_log):
    from django.urls import reverse

    from tests.factories import ArticleFactory, ImageFactory

    image = ImageFactory()
    article = ArticleFactory(lead_image=image)
    client.force_login(editor)
    change_log.mark()
    response = client.post(
        reverse("admin:articles_image_change", args=[image.pk]),
        {"alt_text": "A new description", "focal_x": "0.2", "focal_y": "0.3"},
    )
    assert response.status_code == 302
    image.refresh_from_db()
    assert (image.alt_text, image.focal_x) == ("A new description", 0.2)
    assert {f"article-{article.pk}", f"article-{article.pk}-card"} <= change_log.ended()


def test_rebuild_renditions_resumes_after_an_interruption(capsys, monkeypatch):
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    made = [
        Image.objects.create(file=ContentFile(png_bytes(400, 300), name=f"{n}.png"), alt_text="x")
        for n in range(3)
    ]
    Image.objects.update(renditions={})
    real = Image.refresh_renditions
    calls = []

    def interrupted_on_the_second(self):
        calls.append(self.pk)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of a run
        real(self)

    monkeypatch.setattr(Image, "refresh_renditions", interrupted_on_the_second)
    call_command("rebuild_renditions")
    assert "Interrupted" in capsys.readouterr().out
    monkeypatch.setattr(Image, "refresh_renditions", real)

    call_command("rebuild_renditions")
    assert "remade for 2 images; 1 already current" in capsys.readouterr().out
    for image in made:
        image.refresh_from_db()
        assert images.renditions_current(image)
