"""seuil reset_mfa LOGIN --reason "…" [--dry-run]"""

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.accounts.models import Account
from seuil.core import commands
from seuil.mfa import services
from seuil.mfa.models import Passkey, TotpDevice


class Command(commands.Command):
    rules = gettext_lazy(
        "Retire tous les seconds facteurs d'un compte (clés d'accès, application "
        "d'authentification, codes de secours) pour une personne qui les a tous perdus, une "
        "fois que la DSI a vérifié qui elle est. La raison est enregistrée dans le journal "
        "d'audit et la personne est prévenue à ses deux adresses. La connexion suivante se "
        "fait avec le mot de passe seul, et la personne peut ajouter un nouveau facteur."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("login")
        parser.add_argument("--reason", required=True, help=_("pourquoi, pour le journal d'audit"))
        parser.add_argument("--dry-run", action="store_true", help=_("dire ce qui serait retiré"))

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account.objects.filter(login=options["login"].strip().lower()).first()
        if account is None:
            raise CommandError(_("aucun compte « %(login)s »") % {"login": options["login"]})
        if not options["reason"].strip():
            raise CommandError(_("--reason doit dire pourquoi"))
        count = (
            Passkey.objects.filter(account=account).count()
            + TotpDevice.objects.filter(account=account).count()
        )
        if options["dry_run"]:
            self.stdout.write(
                _("essai : %(count)s second(s) facteur(s) de %(login)s seraient retirés")
                % {"count": count, "login": account.login}
            )
            return
        removed = services.reset_factors(
            account=account, operator=None, reason=options["reason"], ip=""
        )
        self.stdout.write(
            _("%(count)s second(s) facteur(s) de %(login)s retiré(s) ; avis mis en attente d'envoi")
            % {"count": removed, "login": account.login}
        )
