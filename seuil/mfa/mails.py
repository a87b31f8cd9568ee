"""The notices of a change to a person's second factors: never a code, never a key."""

from django.utils.translation import gettext_lazy as _

from seuil.mailer.kinds import kind
from seuil.mailer.models import OutgoingMail
from seuil.mailer.rendering import Draft

SUBJECTS = {
    "totp-added": _("Une application d'authentification a été ajoutée à votre compte ENT"),
    "totp-removed": _("L'application d'authentification de votre compte ENT a été retirée"),
    "passkey-added": _("Une clé d'accès a été ajoutée à votre compte ENT"),
    "passkey-removed": _("Une clé d'accès a été retirée de votre compte ENT"),
    "codes-renewed": _("Les codes de secours de votre compte ENT ont été renouvelés"),
    "factors-reset": _("Les seconds facteurs de votre compte ENT ont été supprimés"),
}


@kind("mfa.notice")
def notice(mail: OutgoingMail) -> Draft:
    account = mail.account
    assert account is not None  # noqa: S101 -- queued with its account
    event = mail.context["event"]
    return Draft(
        "mfa/notice",
        SUBJECTS[event],
        {
            "login": account.login,
            "event": event,
            "when": mail.created_at,
            "name": mail.context.get("name", ""),
        },
    )
