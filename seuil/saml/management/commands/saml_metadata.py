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
            self.stdout.write(
                _("SEUIL_SAML_FEDERATIONS est vide : aucune fédération à rafraîchir.")
            )
            return
        failed = []
        for name, url, certificate in settings.SEUIL_SAML_FEDERATIONS:
            self.stdout.write(
                _("%(name)s : téléchargement de %(url)s") % {"name": name, "url": url}
            )
            outcome = refresh(name, url, certificate, dry_run=dry_run)
            for reason in outcome.skipped:
                self.stderr.write(
                    _("%(name)s : écarté %(reason)s") % {"name": name, "reason": reason}
                )
            if outcome.error:
                failed.append(name)
                self.stderr.write(
                    _("%(name)s : refusée (%(error)s) ; la dernière bonne copie reste")
                    % {"name": name, "error": outcome.error}
                )
            else:
                self.stdout.write(
                    _("%(name)s : %(stored)s SP, %(removed)s retiré(s), %(skipped)s écarté(s)")
                    % {
                        "name": name,
                        "stored": outcome.stored,
                        "removed": outcome.removed,
                        "skipped": len(outcome.skipped),
                    }
                )
        if failed:
            verdict = _("Fédérations SAML : %(count)s en échec (%(names)s)") % {
                "count": len(failed),
                "names": ", ".join(failed),
            }
        else:
            verdict = _("Fédérations SAML : toutes rafraîchies")
        if dry_run:
            verdict += _(" (essai : rien n'a été écrit)")
        if failed:
            raise CommandError(verdict)
        self.stdout.write(verdict)
