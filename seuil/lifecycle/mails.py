"""Reminders of an account's end: when the grace starts, and a week before it closes."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from seuil.mailer.kinds import kind
from seuil.mailer.models import OutgoingMail
from seuil.mailer.rendering import Draft


@kind("lifecycle.grace_started")
def grace_started(mail: OutgoingMail) -> Draft:
    return _draft(mail, _("Votre compte ENT sera bientôt fermé"), soon=False)


@kind("lifecycle.closing_soon")
def closing_soon(mail: OutgoingMail) -> Draft:
    return _draft(mail, _("Votre compte ENT sera fermé dans une semaine"), soon=True)


def _draft(mail: OutgoingMail, subject: object, *, soon: bool) -> Draft:
    account = mail.account
    assert account is not None  # noqa: S101 -- queued with its account
    closes = date.fromisoformat(mail.context["closes"])
    context = {"login": account.login, "address": account.mail, "closes": closes, "soon": soon}
    return Draft("lifecycle/closing", subject, context)  # type: ignore[arg-type]
