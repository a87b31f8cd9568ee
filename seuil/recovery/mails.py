"""The reset link, made when the message leaves: it never waits in the outbox."""

from django.conf import settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from seuil.mailer.kinds import kind
from seuil.mailer.models import OutgoingMail
from seuil.mailer.rendering import Draft
from seuil.recovery.tokens import reset_tokens


@kind("recovery.reset_link")
def reset_link(mail: OutgoingMail) -> Draft:
    account = mail.account
    assert account is not None  # noqa: S101 -- queued with its account
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    path = reverse("recovery:link", args=[uid, reset_tokens.make_token(account)])
    return Draft(
        "recovery/reset_link",
        _("Créer un nouveau mot de passe pour votre compte ENT"),
        {"login": account.login, "link": settings.SEUIL_BASE_URL + path},
    )
