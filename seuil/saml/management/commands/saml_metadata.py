from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from seuil.saml.federation import refresh


class Command(BaseCommand):
    help = (
        "Refresh the SAML federations' service providers from the aggregates that "
        "SEUIL_SAML_FEDERATIONS names (cron, hourly). An aggregate is used only if its "
        "signature, by the named "
        "certificate, covers it whole and its validUntil lies between now and 28 days ahead; "
        "otherwise, or if the download fails, the last good copy stays in use and `seuil check` "
        "reports it. A malformed entity is skipped and reported; the others are stored. Each "
        "federation is written in one transaction. Exits 1 if any federation failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="check, write nothing")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if not settings.SEUIL_SAML_FEDERATIONS:
            self.stdout.write("SEUIL_SAML_FEDERATIONS is empty: no federation to refresh.")
            return
        failed = []
        for name, url, certificate in settings.SEUIL_SAML_FEDERATIONS:
            self.stdout.write(f"{name}: downloading {url}")
            outcome = refresh(name, url, certificate, dry_run=dry_run)
            for reason in outcome.skipped:
                self.stderr.write(f"{name}: skipped {reason}")
            if outcome.error:
                failed.append(name)
                self.stderr.write(f"{name}: refused ({outcome.error}); the last good copy stays")
            else:
                self.stdout.write(
                    f"{name}: {outcome.stored} SPs, {outcome.removed} removed, "
                    f"{len(outcome.skipped)} skipped"
                )
        verdict = f"{len(failed)} failed ({', '.join(failed)})" if failed else "all refreshed"
        suffix = " (dry run: nothing written)" if dry_run else ""
        if failed:
            raise CommandError(f"SAML federations: {verdict}{suffix}")
        self.stdout.write(f"SAML federations: {verdict}{suffix}")
