from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands
from seuil.mailer.models import OutgoingMail


class Command(commands.Command):
    rules = gettext_lazy(
        "Envoie le courrier en attente qui est dû : les messages dont le premier essai a échoué "
        "sont réessayés après 1, 5, 15 puis 60 minutes, et jamais abandonnés. À lancer par cron "
        "chaque minute. Chaque message est réservé avant d'être envoyé, si bien que deux "
        "passages n'envoient jamais le même deux fois. --dry-run compte seulement."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help=_("compter, ne rien envoyer"))

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        pending = OutgoingMail.objects.pending()
        if dry_run:
            self.stdout.write(
                _("%(count)s message(s) en attente (essai : rien n'a été envoyé)")
                % {"count": pending.count()}
            )
            return
        sent, failed = pending.send_due()
        waiting = pending.count()
        self.stdout.write(
            _("%(sent)s envoyé(s), %(failed)s en échec, %(waiting)s en attente")
            % {"sent": sent, "failed": failed, "waiting": waiting}
        )
