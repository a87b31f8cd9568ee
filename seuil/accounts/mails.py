"""Messages about an account's recovery contact. Links are made here, when the message leaves."""

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from seuil.accounts.emails import mask
from seuil.accounts.links import unlock_token
from seuil.mailer.kinds import kind
from seuil.mailer.models import OutgoingMail
from seuil.mailer.rendering import Draft


@kind("accounts.confirm_email")
def confirm_email(mail: OutgoingMail) -> Draft:
    account = mail.account
    assert account is not None  # noqa: S101 -- queued with its account
    path = reverse("accounts:confirm-link", args=[account.email_token()])
    return Draft(
        "accounts/confirm_email",
        _("Confirmez votre mail personnel"),
        {"login": account.login, "link": settings.SEUIL_BASE_URL + path},
    )


@kind("accounts.locked")
def locked(mail: OutgoingMail) -> Draft:
    """The lock notice, with the link that lifts it (seuil.accounts.unlock)."""
    account = mail.account
    assert account is not None  # noqa: S101 -- queued with its account
    network, until = mail.context["network"], datetime.fromisoformat(mail.context["until"])
    token = unlock_token(login=account.login, network=network, until=until)
    return Draft(
        "accounts/locked",
        _("Votre compte ENT est verrouillé pour un moment"),
        {
            "login": account.login,
            "network": network,
            "until": until,
            "zone": settings.TIME_ZONE,
            "failures": mail.context["failures"],
            "link": settings.SEUIL_BASE_URL + reverse("accounts:unlock-link", args=[token]),
        },
    )


@kind("accounts.notice")
def notice(mail: OutgoingMail) -> Draft:
    """What happened to the account, when, and whom to tell if it was not its owner."""
    account = mail.account
    assert account is not None  # noqa: S101 -- queued with its account
    event = mail.context["event"]
    subjects = {
        "password-changed": _("Le mot de passe de votre compte ENT a été changé"),
        "password-reset": _("Le mot de passe de votre compte ENT a été réinitialisé"),
        "email-change-requested": _("Un nouveau mail personnel a été donné pour votre compte ENT"),
        "question-replaced": _("La question secrète de votre compte ENT a été remplacée"),
    }
    new = mail.context.get("new", "")
    return Draft(
        "accounts/notice",
        subjects[event],
        {
            "login": account.login,
            "event": event,
            "when": mail.created_at,
            "new": mask(new) if new else "",
        },
    )
