"""manage.py export_content [-o FILE] — the whole archive as versioned JSON Lines."""

from django.core.management.base import BaseCommand, CommandError

from articles.importers.common import format_table
from articles.importers.content import VERSION, export_content


class Command(BaseCommand):
    help = (
        f"Export every section, author, tag, image (metadata), article (with bylines, "
        f"revisions, corrections and old links) and comment (with moderation history) as "
        f"JSON Lines, format version {VERSION} (docs/export-format.md). Copy MEDIA_ROOT "
        "beside it for the image files."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")

    def handle(self, *args, **options):
        target = options["output"]
        try:
            if target and target != "-":
                with open(target, "w", encoding="utf-8", newline="\n") as out:
                    counts = export_content(out)
            else:
                counts = export_content(self.stdout)
        except OSError as error:
            raise CommandError(f"cannot write {target}: {error.strerror}") from error
        if target and target != "-":
            rows = [(name, count) for name, count in sorted(counts.items())]
            self.stdout.write(format_table(f"Exported to {target}", rows))
