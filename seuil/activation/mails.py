"""The notice a person gets when their account is activated or its password replaced."""

from django.utils.translation import gettext_lazy as _

from seuil.activation.models import CODE_MINUTES, StudentCode
from seuil.mailer.kinds import kind
from seuil.mailer.models import OutgoingMail
from seuil.mailer.rendering import Draft


@kind("activation.activated")
def activated(mail: OutgoingMail) -> Draft:
    account = mail.account
    assert account is not None  # noqa: S101 -- queued with its account
    replaced = bool(mail.context.get("replaced"))
    subject = (
        _("Le mot de passe de votre compte ENT a été remplacé")
        if replaced
        else _("Votre compte ENT est activé")
    )
    return Draft(
        "activation/activated",
        subject,
        {
            "login": account.login,
            "address": account.mail,
            "when": mail.created_at,
            "replaced": replaced,
        },
    )


@kind("activation.student_code")
def student_code(mail: OutgoingMail) -> Draft:
    """The code is derived from its row under the secret key, as the message leaves: it never
    waits in the outbox, and building the message again gives the same code."""
    account = mail.account
    assert account is not None  # noqa: S101 -- queued with its account
    code = StudentCode.objects.get(pk=mail.context["code"], account=account).code()
    return Draft(
        "activation/student_code",
        _("Votre code de Validation Étudiant"),
        {"login": account.login, "code": f"{code[:4]} {code[4:]}", "minutes": CODE_MINUTES},
    )
