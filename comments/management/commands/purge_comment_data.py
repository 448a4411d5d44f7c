import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from comments.models import BlockedCommenter, Comment


class Command(BaseCommand):
    help = (
        "Privacy: forget address hashes and user agents of comments older than the "
        "retention period, and (with --email) erase a commenter's name and e-mail "
        "address from every comment they wrote."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (default: COMMENTS_RETENTION_DAYS, 90).",
        )
        parser.add_argument(
            "--email",
            action="append",
            default=[],
            help="Erase this commenter's name and e-mail address (may be repeated).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; change nothing."
        )

    def handle(self, *args, days, email, dry_run, **options):
        days = settings.COMMENTS_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days cannot be negative.")
        for address in email:
            try:
                validate_email(address.strip())
            except ValidationError as exc:
                raise CommandError(f"Not an e-mail address: {address!r}") from exc
        cutoff = timezone.now() - datetime.timedelta(days=days)
        old = Comment.objects.filter(created_at__lt=cutoff).exclude(ip_hash="", user_agent="")
        with transaction.atomic():
            purged = old.count() if dry_run else old.update(ip_hash="", user_agent="")
            self.stdout.write(
                f"{'Would forget' if dry_run else 'Forgot'} the address hash and user agent "
                f"of {purged} comment{'s' if purged != 1 else ''} older than {days} days."
            )
            for address in email:
                address = address.strip()
                theirs = Comment.objects.filter(email__iexact=address)
                if dry_run:
                    erased = theirs.count()
                else:
                    # Saved one by one, so what readers see of each is made again and
                    # the pages that showed it end (models announce, caches listen).
                    erased = 0
                    for comment in theirs.select_for_update():
                        comment.name, comment.email = "", ""
                        comment.ip_hash, comment.user_agent = "", ""
                        comment.save()
                        erased += 1
                    BlockedCommenter.objects.filter(email__iexact=address).delete()
                self.stdout.write(
                    f"{'Would erase' if dry_run else 'Erased'} the name and e-mail address of "
                    f"{erased} comment{'s' if erased != 1 else ''} by {address}."
                )
