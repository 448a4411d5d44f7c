"""manage.py import_content FILE — restore an export_content file into an empty database."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from articles.importers.common import format_table
from articles.importers.content import ContentFormatError, import_content
from newsroom import caching, invalidation


class Command(BaseCommand):
    help = (
        "Restore a file written by export_content into an EMPTY database (accounts may "
        "exist; content may not). All or nothing: any error leaves the database as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .jsonl file from export_content.")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            with open(path, encoding="utf-8") as lines, transaction.atomic():
                counts, missing = import_content(lines)
                # A restore may touch anything readers see.
                invalidation.end({invalidation.ALL, caching.CLOCK})
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{path}: not UTF-8 ({error.reason}); nothing was imported"
            ) from error
        except ContentFormatError as error:
            raise CommandError(f"{path}: {error}. Nothing was imported.") from error
        except DatabaseError as error:
            raise CommandError(
                f"{path}: the database refused the file's rows ({error}); is it complete and "
                "unedited? Nothing was imported."
            ) from error
        rows = [(name, count) for name, count in sorted(counts.items())]
        self.stdout.write(format_table(f"Imported {path}", rows))
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    "Accounts named in the file but not found: " + ", ".join(missing)
                )
            )
        self.stdout.write(self.style.SUCCESS("Done."))
