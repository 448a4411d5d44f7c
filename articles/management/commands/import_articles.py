"""manage.py import_articles PATH... — plain-text and Markdown files as articles."""

import zoneinfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from articles.importers.common import format_table, reindex_search
from articles.importers.plaintext import ArticleImporter, ImportFileError
from newsroom import invalidation


class Command(BaseCommand):
    help = (
        "Import plain-text (.txt) and Markdown (.md) files as articles: the first line is the "
        "headline, the rest the body; optional front matter between --- lines sets section, "
        "authors, tags, date, status and standfirst. Imports drafts unless told otherwise. "
        "All or nothing: one bad file stops the import and nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files, or folders of .txt/.md files.")
        parser.add_argument(
            "--status",
            choices=["draft", "review", "published"],
            default="draft",
            help="Status when the front matter gives none (default: draft).",
        )
        parser.add_argument("--section", help="Section name when the front matter gives none.")
        parser.add_argument(
            "--author",
            action="append",
            default=[],
            help="Byline when the front matter gives none (repeat for several).",
        )
        parser.add_argument(
            "--encoding",
            default="utf-8",
            help="Text encoding of the files (default: UTF-8, with or without a BOM).",
        )
        parser.add_argument(
            "--timezone",
            default=settings.TIME_ZONE,
            help="Time zone of front-matter dates without one (default: %(default)s).",
        )

    def handle(self, *args, **options):
        try:
            zoneinfo.ZoneInfo(options["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise CommandError(f"unknown time zone: {options['timezone']}") from error
        importer = ArticleImporter(
            status=options["status"],
            section=options["section"],
            authors=options["author"],
            encoding=options["encoding"],
            site_timezone=options["timezone"],
        )
        try:
            with transaction.atomic(), invalidation.batch():
                summary = importer.run(options["paths"])
                reindex_search(summary.article_ids)
        except ImportFileError as error:
            raise CommandError(f"{error}. Nothing was imported.") from error
        except DatabaseError as error:
            raise CommandError(
                f"the database refused an article: {error}. Nothing was imported."
            ) from error
        for path, article in summary.files:
            self.stdout.write(f"  {path} → {article.headline} [{article.status}]")
        self.stdout.write(format_table("Article import", summary.rows()))
        self.stdout.write(self.style.SUCCESS("Done."))
