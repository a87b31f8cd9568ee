"""Personal addresses: what is accepted as one, and how one is shown to a stranger."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _


def validate_personal_email(email: str) -> None:
    """ASCII only (supannMailPerso), and never one of the institution's own domains. Silent on
    what Django's own check refuses already, so that one fault gets one message."""
    try:
        validate_email(email)
    except ValidationError:
        return
    if not email.isascii():
        raise ValidationError(_("L'adresse ne doit contenir ni accent ni caractère spécial."))
    domain = email.rsplit("@", 1)[-1].lower()
    for own in (settings.SEUIL_MAIL_DOMAIN, settings.SEUIL_STUDENT_MAIL_DOMAIN):
        if domain == own or domain.endswith("." + own):
            raise ValidationError(
                _("Donnez une adresse personnelle, pas une adresse de l'université.")
            )


def normalise_email(email: str) -> str:
    local, _at, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def mask(email: str) -> str:
    """n***@example.org: enough for its owner to recognise, too little for anyone else."""
    local, _at, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"
