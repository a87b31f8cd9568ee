from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands
from seuil.saml.backchannel import drain
from seuil.saml.models import BackChannelLogout


class Command(commands.Command):
    rules = gettext_lazy(
        "Transmet les déconnexions SAML en attente (liaison SOAP) aux services dont une session "
        "a pris fin sans navigateur : réinitialisation du mot de passe, verrouillage, "
        "expiration… À lancer par cron chaque minute. Un service injoignable est réessayé après "
        "1, 5, 15 puis 60 minutes, et abandonné après 8 essais, ce que le journal d'audit "
        "consigne. Chaque demande est réservée avant d'être envoyée, si bien que deux passages "
        "n'envoient jamais la même deux fois. --dry-run compte seulement."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help=_("compter, ne rien envoyer"))

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        pending = BackChannelLogout.objects.pending()
        if dry_run:
            self.stdout.write(
                _("%(count)s déconnexion(s) en attente (essai : rien n'a été envoyé)")
                % {"count": pending.count()}
            )
            return
        sent, failed = drain()
        self.stdout.write(
            _("%(sent)s transmise(s), %(failed)s en échec, %(waiting)s en attente")
            % {"sent": sent, "failed": failed, "waiting": pending.count()}
        )
