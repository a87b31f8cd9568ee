from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from seuil.lifecycle.services import run


class Command(BaseCommand):
    help = (
        "The daily job (cron, once a night). It applies the SupAnn state each account has "
        "reached and records it: pre-created → created, active → grace (a reminder is mailed) → "
        "expired (its Sésames are revoked), and back when a feed brings a new attachment. It "
        "mails a second reminder a week before an account closes, purges the personal data of "
        "accounts expired for SEUIL_RETENTION_DAYS (login and address kept), and drops stale "
        "throttle counters. Idempotent; one transaction; the rules hold between two runs anyway."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        with transaction.atomic():
            summary = run(today=timezone.localdate(), progress=self._progress)
            if dry_run:
                transaction.set_rollback(True)  # nothing written, and no mail leaves
        self.stdout.write(
            f"run_lifecycle: {summary}" + (_(" (essai : rien n'a changé)") if dry_run else "")
        )

    def _progress(self, done: int) -> None:
        if done % 10_000 == 0:
            self.stderr.write(_("  %(done)d comptes") % {"done": done})
