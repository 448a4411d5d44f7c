"""Pictures from the site's uploads folder (--media-dir), found by their attachment.

One `MediaLibrary` per import: it knows the export's attachments, finds their files and
makes each `Image` once, however many posts use it. The featured image is looked up
here, and so should pictures inside a body be.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from articles.models import Image

from ..common import truncate_words


class MediaLibrary:
    def __init__(self, header, media_dir, summary):
        self.header = header
        self.media_dir = media_dir
        self.summary = summary
        self.images = {}  # attachment id → Image made during this import

    def lead_image(self, item, current):
        thumbnail = item["meta"].get("_thumbnail_id", "").strip()
        if not thumbnail.isdigit() or int(thumbnail) == 0:
            return None
        if current is not None:
            self.summary.images["kept"] += 1
            return current
        attachment = self.header.attachments.get(int(thumbnail))
        if attachment is None:
            self.summary.images["missing"] += 1
            self.summary.missing_media.append(f"attachment {thumbnail} (not in the export)")
            return None
        if int(thumbnail) in self.images:
            self.summary.images["imported"] += 1
            return self.images[int(thumbnail)]
        found = self.find_media(attachment)
        if found is None:
            self.summary.images["missing"] += 1
            self.summary.missing_media.append(
                f"{self.media_path(attachment) or attachment.url} (attachment {attachment.wp_id})"
            )
            return None
        image = Image(
            alt_text=truncate_words(attachment.alt or attachment.title or found.stem, 300),
            caption=truncate_words(attachment.caption, 500),
        )
        try:
            with transaction.atomic(), found.open("rb") as handle:
                image.file.save(found.name, File(handle), save=False)
                image.full_clean(exclude=["file"])
                image.save()
        except (ValidationError, OSError, ValueError) as error:
            self.summary.images["unusable"] += 1
            self.summary.notes.append(f"featured image {found} could not be used: {error}")
            return None
        self.images[int(thumbnail)] = image
        self.summary.images["imported"] += 1
        return image

    def media_path(self, attachment):
        """The file's path inside the uploads folder, e.g. 2012/03/photo.jpg."""
        relative = attachment.attached_file
        if not relative and attachment.url:
            url_path = unquote(urlsplit(attachment.url).path)
            relative = url_path.split("/uploads/", 1)[-1].lstrip("/")
        return relative

    def find_media(self, attachment):
        relative = self.media_path(attachment)
        if not relative or self.media_dir is None:
            return None
        root = self.media_dir.resolve()
        for candidate in (root / relative, root / Path(relative).name):
            candidate = candidate.resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None
