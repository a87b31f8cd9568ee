"""seuil rotate_mfa_key [--dry-run]"""

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands
from seuil.mfa import crypto
from seuil.mfa.models import TotpDevice


class Command(commands.Command):
    rules = gettext_lazy(
        "Chiffre de nouveau chaque clé partagée TOTP sous la première clé de SEUIL_MFA_KEY (ou "
        "celle dérivée de SEUIL_SECRET_KEY). Mettez la nouvelle clé en premier, gardez "
        "l'ancienne après elle, lancez cette commande, puis retirez l'ancienne clé. S'arrête, "
        "sans rien changer, si une clé ne peut être déchiffrée par aucune clé en usage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("vérifier, et ne rien changer")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cipher = crypto.cipher()
        done = 0
        with transaction.atomic():
            devices = TotpDevice.objects.select_for_update().only("pk", "encrypted_key")
            for device in devices.iterator(chunk_size=500):
                if crypto.decrypt(device.encrypted_key) is None:
                    raise CommandError(
                        _(
                            "la clé TOTP %(pk)s ne s'ouvre avec aucune clé en service : "
                            "rien n'a changé"
                        )
                        % {"pk": device.pk}
                    )
                rotated = cipher.rotate(device.encrypted_key.encode("ascii")).decode("ascii")
                if not options["dry_run"]:
                    TotpDevice.objects.filter(pk=device.pk).update(encrypted_key=rotated)
                done += 1
                if done % 1000 == 0:
                    self.stdout.write(_("%(count)s clés…") % {"count": done})
        if options["dry_run"]:
            said = _("essai : %(count)s clé(s) TOTP seraient rechiffrées sous la première clé")
        else:
            said = _("%(count)s clé(s) TOTP rechiffrée(s) sous la première clé")
        self.stdout.write(said % {"count": done})
