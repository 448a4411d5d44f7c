"""manage.py import_wordpress FILE.xml — bring a WordPress archive in."""

import zoneinfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from tqdm import tqdm

from articles.importers.common import format_table, reindex_search
from articles.importers.wordpress import WordPressImporter, WXRError
from newsroom import invalidation


class DryRun(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Import a WordPress export (WXR 1.0 to 1.2, WordPress 2.x to 6.x): posts become "
        "articles with their authors, sections, tags, comments, featured images and old links "
        "(301). Safe to run again: what changed in WordPress comes in, except where the desk "
        "has changed the same thing since the last import (a withdrawn story stays withdrawn, "
        "an edited headline stays, a moderator's decision on a comment stands); new posts and "
        "comments are added. All or nothing: any error leaves the database as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .xml file from WordPress's Tools → Export.")
        parser.add_argument(
            "--media-dir",
            help="The site's wp-content/uploads folder (a copy), where featured images are "
            "looked up by their path, e.g. 2012/03/photo.jpg.",
        )
        parser.add_argument(
            "--timezone",
            default=settings.TIME_ZONE,
            help="The WordPress site's time zone, for posts without a GMT date "
            "(default: %(default)s).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Do everything and print the summary, then roll back.",
        )

    def handle(self, *args, **options):
        try:
            zoneinfo.ZoneInfo(options["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise CommandError(f"unknown time zone: {options['timezone']}") from error
        importer = WordPressImporter(
            options["file"],
            media_dir=options["media_dir"],
            site_timezone=options["timezone"],
            progress=self.progress_bar,
        )
        try:
            try:
                with transaction.atomic(), invalidation.batch():
                    summary = importer.run()
                    reindex_search(summary.changed_article_ids)
                    if options["dry_run"]:
                        raise DryRun
            except BaseException:
                importer.media.discard_files()  # the rows are rolled back: their files too
                raise
        except WXRError as error:
            raise CommandError(f"{error}. Nothing was imported.") from error
        except DatabaseError as error:
            raise CommandError(
                f"the database refused {importer.current}: {error}. Nothing was imported."
            ) from error
        except DryRun:
            self.stdout.write("Dry run: nothing was saved.")
        self.report(importer)

    def progress_bar(self, total):
        return tqdm(
            total=total,
            unit="post",
            desc="Importing",
            file=self.stderr._out,
            disable=not self.stdout.isatty(),
        )

    def report(self, importer):
        summary = importer.summary
        self.stdout.write(
            format_table(f"WordPress import: {importer.path.name}", summary.rows()) + "\n"
        )
        if summary.missing_media:
            where = importer.media_dir or "(no --media-dir given)"
            self.stdout.write(f"Featured images not found in {where}:")
            for name in summary.missing_media:
                self.stdout.write(f"  {name}")
        if summary.missing_body_media:
            where = importer.media_dir or "(no --media-dir given)"
            self.stdout.write(f"Pictures in bodies not found in {where} (kept as links):")
            for name in sorted(summary.missing_body_media):
                self.stdout.write(f"  {name}")
        for note in summary.notes:
            self.stdout.write(self.style.WARNING(f"Note: {note}"))
        self.stdout.write(self.style.SUCCESS("Done."))
