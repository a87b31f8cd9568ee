"""The operators' page when the directory refuses to close an account (seuil.directory.alerts)."""

from django.utils.translation import gettext_lazy as _

from seuil.mailer.kinds import kind
from seuil.mailer.models import OutgoingMail
from seuil.mailer.rendering import Draft


@kind("directory.unclosed")
def unclosed(mail: OutgoingMail) -> Draft:
    return Draft(
        "directory/unclosed",
        _("Annuaire : un compte fermé s'y ouvre encore"),
        {"login": mail.context["login"], "error": mail.context["error"]},
    )
