from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from seuil.mailer.models import OutgoingMail


class Command(BaseCommand):
    help = (
        "Send the queued mail that is due: messages whose first attempt failed are retried after "
        "1, 5, 15 then 60 minutes, and never dropped. Run it from cron every minute. Each message "
        "is claimed before it is sent, so two runs never send one twice. --dry-run counts only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, send nothing")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        pending = OutgoingMail.objects.pending()
        if dry_run:
            self.stdout.write(f"{pending.count()} message(s) waiting (dry run: nothing sent)")
            return
        sent, failed = pending.send_due()
        waiting = pending.count()
        self.stdout.write(f"{sent} sent, {failed} failed, {waiting} waiting")
