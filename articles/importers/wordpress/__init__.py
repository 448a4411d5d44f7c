"""WordPress eXtended RSS (WXR 1.0 to 1.2) import.

reader.py reads the file into plain dicts; body.py turns post content into body HTML;
media.py finds pictures in the uploads folder; importer.py maps items to articles,
comments, authors and terms; summary.py counts what happened for the command's table.
"""

from django.db import transaction

from .body import Pictures, convert_content, render_shortcodes, wpautop
from .importer import WordPressImporter, old_paths
from .reader import WXRError, WXRFile


def import_wordpress(path, **options):
    """Import a WXR file; returns the Summary. Raises WXRError, leaving the database as
    it was."""
    importer = WordPressImporter(path, **options)
    try:
        with transaction.atomic():
            return importer.run()
    except BaseException:
        importer.media.discard_files()  # the rows are rolled back: their files too
        raise


__all__ = [
    "Pictures",
    "WXRError",
    "WXRFile",
    "WordPressImporter",
    "convert_content",
    "import_wordpress",
    "old_paths",
    "render_shortcodes",
    "wpautop",
]
