"""Uploaded pictures: validated by what they are, cleaned of metadata, cut into renditions.

Everything here runs when an image is saved, never when a page is read.

* `inspect_upload()` decides whether bytes are a picture we accept: JPEG, PNG, WebP or
  GIF by content (never by name or browser-sent type), within the size and pixel
  limits, complete, and with nothing hidden after the image data (polyglots).
* `clean_original()` re-encodes the accepted picture without EXIF, XMP or text
  chunks, so no location or camera data is ever stored.
* `make_renditions()` writes the WebP widths for `srcset` and the crops around the
  focal point that social cards and structured data use; for a picture larger than
  IMAGE_BACKGROUND_PIXELS a worker does it (`render_later`), not the editor's request.
"""

import hashlib
import io
import os
import re
import struct
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from newsroom.tasks import background

ACCEPTED_FORMATS = {
    "JPEG": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "PNG": {".png"},
    "WEBP": {".webp"},
    "GIF": {".gif"},
}
EXTENSION_FOR = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}

#: Widths for `srcset`, in WebP; none is made wider than the original.
WIDTHS = (320, 640, 960, 1280, 1920)
#: Crops around the focal point: name → (ratio width, ratio height, output width).
CROPS = {"16x9": (16, 9, 1200), "4x3": (4, 3, 1200), "1x1": (1, 1, 1200)}
#: Raise when the set of renditions changes; `rebuild_renditions` remakes older ones.
RENDITION_VERSION = 1

# Markup that has no business inside a picture: the mark of an HTML/SVG/PHP polyglot.
# Short tags are only looked for at the start, where a chance match in compressed
# pixel data is vanishingly unlikely; longer ones anywhere in the file.
_MARKUP_START = re.compile(rb"<\s*(svg|html|script|\?php)\b|<!doctype", re.I)
_MARKUP = re.compile(rb"<\s*(script|iframe|object|embed|\?php)\b|<!doctype\s+html", re.I)
_KEEP_INFO = ("icc_profile", "duration", "loop", "transparency", "background", "dpi")


def max_upload_bytes():
    return getattr(settings, "IMAGE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)


def max_pixels():
    return getattr(settings, "IMAGE_MAX_PIXELS", 50_000_000)


@dataclass
class Inspected:
    format: str
    width: int
    height: int
    frames: int


def _read(upload):
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _trailing_data(fmt, data):
    """Bytes after the end of the image data: how a picture smuggles a second file."""
    if fmt == "PNG":
        pos = 8
        while pos + 8 <= len(data):
            (length,) = struct.unpack(">I", data[pos : pos + 4])
            kind = data[pos + 4 : pos + 8]
            pos += 12 + length
            if kind == b"IEND":
                return data[pos:]
        return b""
    if fmt == "GIF":
        end = data.rstrip(b"\x00").rfind(b"\x3b")
        return data[end + 1 :].rstrip(b"\x00") if end >= 0 else b""
    if fmt == "JPEG":
        end = data.rfind(b"\xff\xd9")
        return data[end + 2 :].strip(b"\x00\r\n\t ") if end >= 0 else b""
    if fmt == "WEBP" and data[:4] == b"RIFF":
        (size,) = struct.unpack("<I", data[4:8])
        return data[8 + size + (size & 1) :]
    return b""


def inspect_upload(upload, name=""):
    """Return what the upload is, or raise ValidationError saying why it is refused."""
    size = getattr(upload, "size", None)
    if size is None:
        size = len(_read(upload))
    if size > max_upload_bytes():
        raise ValidationError(
            "The file is %(size)s MB; the limit is %(limit)s MB. Export a smaller JPEG.",
            code="too_large",
            params={"size": round(size / 1_048_576, 1), "limit": max_upload_bytes() // 1_048_576},
        )
    data = _read(upload)
    if _MARKUP_START.search(data[:4096]):
        raise ValidationError(
            "This is not a picture we accept (SVG and HTML are refused). "
            "Upload a JPEG, PNG, WebP or GIF.",
            code="markup",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as img:
                fmt, (width, height) = img.format, img.size
                frames = getattr(img, "n_frames", 1) if fmt == "GIF" else 1
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error) as exc:
        raise ValidationError(
            "This file is not a picture we can read. Upload a JPEG, PNG, WebP or GIF.",
            code="unreadable",
        ) from exc
    if fmt not in ACCEPTED_FORMATS:
        raise ValidationError(
            "%(format)s files are not accepted. Upload a JPEG, PNG, WebP or GIF.",
            code="format",
            params={"format": fmt},
        )
    if width * height * frames > max_pixels():
        raise _too_many_pixels()
    extension = os.path.splitext(name or getattr(upload, "name", "") or "")[1].lower()
    if extension and extension not in ACCEPTED_FORMATS[fmt]:
        raise ValidationError(
            "The file is named %(extension)s but is really a %(format)s image. "
            "Rename it to %(right)s and upload it again.",
            code="extension",
            params={"extension": extension, "format": fmt, "right": EXTENSION_FOR[fmt]},
        )
    if _trailing_data(fmt, data) or _MARKUP.search(data):
        raise ValidationError(
            "The file carries extra data hidden after the picture and was refused. "
            "Open it in an image editor and export it again.",
            code="polyglot",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as img:
                img.verify()
            with PILImage.open(io.BytesIO(data)) as img:
                img.load()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except Exception as exc:  # Pillow raises many kinds for broken data.
        raise ValidationError(
            "The picture is damaged or incomplete (perhaps the upload was cut short). "
            "Export it again and upload the new file.",
            code="damaged",
        ) from exc
    return Inspected(fmt, width, height, frames)


def _too_many_pixels():
    return ValidationError(
        "The picture has too many pixels (the limit is %(limit)s megapixels). "
        "Resize it before uploading.",
        code="too_many_pixels",
        params={"limit": max_pixels() // 1_000_000},
    )


class CleanFile(ContentFile):
    """Bytes that went through `clean_original()`; saving them again changes nothing."""

    newsroom_clean = True


def clean_original(upload, name=""):
    """Re-encode an accepted picture with no metadata; return a CleanFile to store."""
    info = inspect_upload(upload, name)
    data = _read(upload)
    with PILImage.open(io.BytesIO(data)) as img:
        out = io.BytesIO()
        keep = {key: img.info[key] for key in _KEEP_INFO if key in img.info}
        if info.format == "GIF" and info.frames > 1:
            img.info = keep
            img.save(out, format="GIF", save_all=True, **_gif_options(keep))
        else:
            img.load()
            upright = ImageOps.exif_transpose(img) or img
            upright.info = keep
            options = {"icc_profile": keep["icc_profile"]} if "icc_profile" in keep else {}
            if info.format == "JPEG":
                if upright.mode not in ("RGB", "L", "CMYK"):
                    upright = upright.convert("RGB")
                upright.save(out, format="JPEG", quality=92, optimize=True, **options)
            elif info.format == "WEBP":
                upright.save(out, format="WEBP", quality=92, **options)
            elif info.format == "GIF":
                upright.save(out, format="GIF", **_gif_options(keep))
            else:
                upright.save(out, format="PNG", optimize=True, **options)
    stem = os.path.splitext(os.path.basename(name or getattr(upload, "name", "") or "image"))[0]
    return CleanFile(out.getvalue(), name=f"{stem or 'image'}{EXTENSION_FOR[info.format]}")


def _gif_options(keep):
    return {key: keep[key] for key in ("duration", "loop", "transparency") if key in keep}


def focal_crop_box(width, height, ratio_w, ratio_h, focal_x, focal_y):
    """The largest box of the given ratio inside the picture, centred on the focal point
    as far as the edges allow."""
    if width * ratio_h > height * ratio_w:
        crop_h, crop_w = height, round(height * ratio_w / ratio_h)
    else:
        crop_w, crop_h = width, round(width * ratio_h / ratio_w)
    left = min(max(round(focal_x * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(focal_y * height - crop_h / 2), 0), height - crop_h)
    return left, top, left + crop_w, top + crop_h


def _rgb(img):
    if img.mode in ("RGB", "RGBA"):
        return img
    return img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB")


def make_renditions(image, storage=default_storage):
    """Write every rendition of `image` and return the `Image.renditions` mapping.

    File names carry a digest of the source and focal point, so a changed picture or
    crop gets new addresses and long browser or CDN caching stays correct."""
    image.file.open("rb")
    try:
        source = image.file.read()
    finally:
        image.file.close()
    key = hashlib.sha256(
        source + f"{image.focal_x:.4f}:{image.focal_y:.4f}:{RENDITION_VERSION}".encode()
    ).hexdigest()[:12]
    folder = f"renditions/{image.pk}"
    renditions = {}
    with PILImage.open(io.BytesIO(source)) as opened:
        opened.seek(0)
        img = _rgb(ImageOps.exif_transpose(opened) or opened)
        img.load()
    width, height = img.size
    for target in WIDTHS:
        if target > width:
            continue
        size = (target, max(1, round(height * target / width)))
        renditions[f"w{target}"] = _store(
            storage, f"{folder}/w{target}-{key}.webp", img.resize(size, PILImage.LANCZOS), "WEBP"
        )
    for name, (ratio_w, ratio_h, out_w) in CROPS.items():
        box = focal_crop_box(width, height, ratio_w, ratio_h, image.focal_x, image.focal_y)
        crop = img.crop(box)
        if crop.width > out_w:
            crop = crop.resize((out_w, round(out_w * ratio_h / ratio_w)), PILImage.LANCZOS)
        if crop.mode == "RGBA":
            flat = PILImage.new("RGB", crop.size, (255, 255, 255))
            flat.paste(crop, mask=crop.getchannel("A"))
            crop = flat
        renditions[name] = _store(storage, f"{folder}/{name}-{key}.jpg", crop, "JPEG")
    return renditions


def _store(storage, path, img, fmt):
    out = io.BytesIO()
    if fmt == "WEBP":
        img.save(out, format="WEBP", quality=82, method=4)
    else:
        img.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    if storage.exists(path):
        storage.delete(path)
    data = out.getvalue()
    saved = storage.save(path, ContentFile(data))
    return {
        "url": storage.url(saved),
        "width": img.width,
        "height": img.height,
        "bytes": len(data),
        "path": saved,
        "v": RENDITION_VERSION,
    }


def expected_names(width):
    return {f"w{target}" for target in WIDTHS if target <= width} | set(CROPS)


def renditions_current(image):
    """True when the image has every rendition of the current set."""
    renditions = image.renditions or {}
    if set(renditions) != expected_names(image.width):
        return False
    return all(
        isinstance(entry, dict) and entry.get("v") == RENDITION_VERSION
        for entry in renditions.values()
    )


def delete_renditions(renditions, keep=(), storage=default_storage):
    """Remove rendition files no longer listed (`keep` holds paths still in use)."""
    for entry in (renditions or {}).values():
        path = entry.get("path") if isinstance(entry, dict) else None
        if path and path not in keep and storage.exists(path):
            storage.delete(path)


def image_deleted(sender, instance, **kwargs):
    """A deleted picture leaves nothing in storage (a legal takedown means gone): its
    original and every rendition are removed once the deletion is committed."""
    storage = instance.file.storage
    name, renditions = instance.file.name, instance.renditions

    def remove():
        delete_renditions(renditions, storage=storage)
        if name and storage.exists(name):
            storage.delete(name)

    transaction.on_commit(remove)


@background
def render_later(image_id, source):
    """Make the renditions of a big upload in a worker. `source` is the (file name, focal
    x, focal y) they are for: a picture saved again since has its own task."""
    from .models import Image

    image = Image.objects.filter(pk=image_id).first()
    if image is None or list(image._rendition_source()) != list(source):
        return False
    image.refresh_renditions()
    # Saved once more so the change is announced (post_save): pages that showed the
    # original while the renditions were being made end, and show the renditions.
    image.save(update_fields=["renditions"])
    return True
