"""seuil reset_mfa LOGIN --reason "…" [--dry-run]"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from seuil.accounts.models import Account
from seuil.mfa import services
from seuil.mfa.models import Passkey, TotpDevice


class Command(BaseCommand):
    help = (
        "Remove every second factor of an account (passkeys, authenticator application, recovery "
        "codes) for a person who lost them all, once IT has checked who they are. The reason is "
        "recorded in the audit log and the person is told at both addresses. The next sign-in "
        "takes the password alone, and the person can add a new factor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("login")
        parser.add_argument("--reason", required=True, help="why, for the audit log")
        parser.add_argument("--dry-run", action="store_true", help="say what would be removed")

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account.objects.filter(login=options["login"].strip().lower()).first()
        if account is None:
            raise CommandError(f"no account {options['login']!r}")
        if not options["reason"].strip():
            raise CommandError("--reason must say why")
        count = (
            Passkey.objects.filter(account=account).count()
            + TotpDevice.objects.filter(account=account).count()
        )
        if options["dry_run"]:
            self.stdout.write(f"would remove {count} second factors of {account.login}")
            return
        removed = services.reset_factors(
            account=account, operator=None, reason=options["reason"], ip=""
        )
        self.stdout.write(f"removed {removed} second factors of {account.login}; notice queued")
