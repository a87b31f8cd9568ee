"""Messages about an account's recovery contact. Links are made here, when the message leaves."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from seuil.mailer.models import OutgoingMail
from seuil.mailer.rendering import Draft


def confirm_email(mail: OutgoingMail) -> Draft:
    account = mail.account
    assert account is not None  # noqa: S101 -- queued with its account
    path = reverse("accounts:confirm-email", args=[account.email_token()])
    return Draft(
        "accounts/confirm_email",
        _("Confirmez votre mail personnel"),
        {"login": account.login, "link": settings.SEUIL_BASE_URL + path},
    )
