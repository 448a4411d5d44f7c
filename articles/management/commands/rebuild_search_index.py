"""Recompute every stored search vector, in batches, with a progress bar.

Run it after changing the weights in articles/search.py or SEARCH_CONFIG, or after a
bulk load that bypassed Article.save().
"""

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from tqdm import tqdm

from articles import search
from articles.models import Article


class Command(BaseCommand):
    help = "Recompute the stored full-text search data of every article (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Articles updated per transaction."
        )

    def handle(self, *args, batch_size, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Nothing to rebuild: on SQLite search reads the articles directly.")
            return
        ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
        updated = 0
        with tqdm(total=len(ids), unit="article", file=self.stderr, disable=not ids) as progress:
            for start in range(0, len(ids), batch_size):
                batch = ids[start : start + batch_size]
                with transaction.atomic():
                    updated += search.reindex(batch)
                progress.update(len(batch))
        self.stdout.write(self.style.SUCCESS(f"Search data rebuilt for {updated} articles."))
