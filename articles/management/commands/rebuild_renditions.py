"""Remake image renditions, e.g. after the rendition set changed.

Images whose renditions are already current are skipped, so an interrupted run
(Ctrl-C) picks up where it stopped when run again. `--all` remakes every image;
`--after ID` starts after a given image id.
"""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from articles.images import renditions_current
from articles.models import Image


class Command(BaseCommand):
    help = "Remake image renditions (WebP widths and focal-point crops); resumable."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Remake even current ones.")
        parser.add_argument("--after", type=int, default=0, help="Start after this image id.")
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, all=False, after=0, batch_size=200, **options):
        queryset = Image.objects.filter(pk__gt=after).order_by("pk")
        total = queryset.count()
        done = skipped = failed = 0
        last = after
        bar = tqdm(
            total=total,
            unit="image",
            disable=not self.stdout.isatty() or options["verbosity"] == 0,
            file=self.stdout,
        )
        try:
            while True:
                batch = list(queryset.filter(pk__gt=last)[:batch_size])
                if not batch:
                    break
                for image in batch:
                    last = image.pk
                    if not image.file or (not all and renditions_current(image)):
                        skipped += 1
                    else:
                        try:
                            image.refresh_renditions()
                            done += 1
                        except (OSError, ValueError) as exc:
                            failed += 1
                            self.stderr.write(f"Image {image.pk}: {exc}")
                    bar.update(1)
        except KeyboardInterrupt:
            bar.close()
            self.stdout.write(
                self.style.WARNING(
                    f"Interrupted after image {last}: {done} remade. Run the command again "
                    f"to continue (current images are skipped), or use --after {last}."
                )
            )
            return
        bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Renditions remade for {done} images; {skipped} already current; {failed} failed."
            )
        )
