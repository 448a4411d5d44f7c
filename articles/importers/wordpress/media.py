"""Pictures from the site's uploads folder (--media-dir), found by their attachment or
by the address a post's <img> shows them at.

One `MediaLibrary` per import: it knows the export's attachments, finds their files and
makes each `Image` once, however many posts use it and however often the import runs
(`Image.source` names the file it came from). The featured image and the pictures inside
a body (body.py) are both looked up here.
"""

import hashlib
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from articles.models import Image

from ..common import truncate_words

SOURCE_MAX = Image._meta.get_field("source").max_length
# WordPress's resized copies: photo-300x200.jpg is a smaller photo.jpg.
_RESIZED = re.compile(r"-\d{1,5}x\d{1,5}(?=\.[A-Za-z0-9]+$)")


class MediaLibrary:
    def __init__(self, header, media_dir, summary):
        self.header = header
        self.media_dir = media_dir
        self.summary = summary
        self.images = {}  # attachment id → Image made or found during this import
        self._attached = None  # the uploads paths of the export's attachments
        self.made = []  # the pictures this import saved, whose files go if it rolls back

    def lead_image(self, item, current):
        thumbnail = item["meta"].get("_thumbnail_id", "").strip()
        if not thumbnail.isdecimal() or int(thumbnail) == 0:
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
        image = self.image_for_file(found, attachment=attachment, what="featured image")
        if image is None:
            self.summary.images["unusable"] += 1
            return None
        self.images[int(thumbnail)] = image
        self.summary.images["imported"] += 1
        return image

    def attachment_image(self, wp_id, what="picture"):
        """(the library Image of attachment `wp_id`, or None; why not: "not in the
        export", "missing" or "unusable")."""
        if wp_id in self.images:
            return self.images[wp_id], ""
        attachment = self.header.attachments.get(wp_id)
        if attachment is None:
            return None, "not in the export"
        found = self.find_media(attachment)
        if found is None:
            self.summary.missing_body_media.add(
                f"{self.media_path(attachment) or attachment.url}, attachment {wp_id}"
            )
            return None, "missing"
        image = self.image_for_file(found, attachment=attachment, what=what)
        if image is None:
            return None, "unusable"
        self.images[wp_id] = image
        return image, ""

    def image_for_file(self, found, *, attachment=None, alt="", what="picture"):
        """The library Image of the file `found` in the uploads folder: the one an earlier
        import (or an earlier post) made of it, else a new one (re-encoded without its
        metadata by Image.save(), checked first). None when the file cannot be used."""
        source = self.source_key(found)
        image = Image.objects.filter(source=source).first()
        if image is not None:
            return image
        # The attachment's own alt text first: the picture's text in the library, which
        # each use may override (a figure's data-alt).
        alt = (attachment.alt if attachment else "") or alt
        alt = alt or (attachment.title if attachment else "")
        alt = alt or found.stem.replace("-", " ").replace("_", " ")
        image = Image(
            alt_text=truncate_words(" ".join(alt.split()), 300),
            caption=truncate_words(attachment.caption, 500) if attachment else "",
            source=source,
        )
        try:
            with transaction.atomic(), found.open("rb") as handle:
                image.file.save(found.name, File(handle), save=False)
                image.full_clean(exclude=["file"])
                image.save()
        except (ValidationError, OSError, ValueError) as error:
            self.summary.notes.append(f"{what} {found} could not be used: {error}")
            return None
        self.made.append(image)
        self.summary.body["pictures added to the library"] += 1
        return image

    def discard_files(self):
        """Remove the files (original and renditions) of the pictures this import made:
        called when it is rolled back (a dry run, an error), so storage keeps nothing no
        row names."""
        from articles.images import delete_renditions

        for image in self.made:
            storage = image.file.storage
            delete_renditions(image.renditions, storage=storage)
            if image.file.name and storage.exists(image.file.name):
                storage.delete(image.file.name)
        self.made = []

    def source_key(self, found):
        """`Image.source` for a file of this site's uploads folder."""
        host = (urlsplit(self.header.site_url or "").hostname or "").lower()
        relative = found.relative_to(self.media_dir.resolve()).as_posix()
        key = f"wordpress:{host}/{relative}"
        if len(key) > SOURCE_MAX:
            key = "wordpress:sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return key

    def media_path(self, attachment):
        """The file's path inside the uploads folder, e.g. 2012/03/photo.jpg."""
        relative = attachment.attached_file
        if not relative and attachment.url:
            url_path = unquote(urlsplit(attachment.url).path)
            relative = url_path.split("/uploads/", 1)[-1].lstrip("/")
        return relative

    def find_media(self, attachment):
        return self.find_relative(self.media_path(attachment))

    def find_relative(self, relative):
        if not relative or self.media_dir is None:
            return None
        root = self.media_dir.resolve()
        for candidate in (root / relative, root / Path(relative).name):
            candidate = candidate.resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None

    def attached_files(self):
        if self._attached is None:
            self._attached = {self.media_path(a) for a in self.header.attachments.values()}
        return self._attached

    def upload_path(self, src):
        """The path inside the uploads folder of a picture address a post shows
        (/wp-content/uploads/2019/03/x.jpg, or a WordPress.com files address), or ""
        for an address outside the site's uploads."""
        try:
            parts = urlsplit((src or "").strip())
        except ValueError:
            return ""
        if parts.scheme not in ("", "http", "https"):
            return ""
        path = unquote(parts.path)
        if "/uploads/" in path:
            relative = path.split("/uploads/", 1)[1]
        elif (parts.hostname or "").endswith(".files.wordpress.com"):
            relative = path
        else:
            return ""
        relative = PurePosixPath(relative.lstrip("/"))
        if ".." in relative.parts:
            return ""
        return relative.as_posix()

    def find_upload(self, src):
        """The file of the uploads folder an <img> shows, preferring the original of
        one of WordPress's resized copies (photo-300x200.jpg → photo.jpg)."""
        relative = self.upload_path(src)
        if not relative:
            return None
        original = _RESIZED.sub("", relative)
        candidates = (original, relative)
        if relative in self.attached_files():  # an upload whose own name ends in -NxN
            candidates = (relative, original)
        for candidate in dict.fromkeys(candidates):
            found = self.find_relative(candidate)
            if found is not None:
                return found
        return None
