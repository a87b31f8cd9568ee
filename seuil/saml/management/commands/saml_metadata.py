from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands
from seuil.saml.federation import refresh


class Command(commands.Command):
    rules = gettext_lazy(
        "Rafraîchit les fournisseurs de services des fédérations SAML à partir des agrégats que "
        "SEUIL_SAML_FEDERATIONS nomme (cron, toutes les heures). Un agrégat n'est utilisé que "
        "si sa signature, par le certificat nommé, le couvre en entier et que son validUntil "
        "tombe entre maintenant et 28 jours plus tard ; sinon, ou si le téléchargement échoue, "
        "la dernière bonne copie reste en usage et `seuil check` le signale. Une entité mal "
        "formée est sautée et signalée ; les autres sont gardées. Chaque fédération est écrite "
        "dans une transaction. Sort avec le code 1 si une fédération a échoué."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help=_("vérifier, ne rien écrire"))

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
