"""manage.py purge_autosaves [--days N] — forget unsaved text nobody came back to."""

from django.core.management.base import BaseCommand, CommandError

from articles.models import Autosave
from articles.models.desk import KEEP_DAYS


class Command(BaseCommand):
    help = (
        f"Delete the article form's autosaves older than {KEEP_DAYS} days (or --days). "
        "Run it daily, e.g. from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=KEEP_DAYS,
            help=f"Keep autosaves this many days (default {KEEP_DAYS}; at least 1).",
        )

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = Autosave.purge(days)
        self.stdout.write(f"Deleted {deleted} autosave(s) older than {days} days.")
