from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def zxcvbn_is_vendored(**kwargs: Any) -> list[CheckMessage]:
    """The live indicator needs the browser's zxcvbn, which npm installs (make does it)."""
    if any(
        (Path(folder) / "vendor" / "zxcvbn.js").is_file() for folder in settings.STATICFILES_DIRS
    ):
        return []
    return [
        Error(
            "static/vendor/zxcvbn.js is missing: the password indicator cannot judge passwords.",
            hint="Run `make static/vendor/zxcvbn.js` (npm ci, then a copy); make run does it.",
            id="seuil.E001",
        )
    ]


@register()
def password_rule_is_consistent(**kwargs: Any) -> list[CheckMessage]:
    """The stated minimum must be the real one: below what the entropy criterion allows, no
    password of the shorter lengths can ever pass, and people would try them in vain."""
    from seuil.accounts.passwords import shortest_length

    shortest = shortest_length()
    if shortest > settings.SEUIL_PASSWORD_MAX_LENGTH:
        return [
            Error(
                f"No password can pass: SEUIL_PASSWORD_MIN_ENTROPY="
                f"{settings.SEUIL_PASSWORD_MIN_ENTROPY} needs at least {shortest} characters, "
                f"but SEUIL_PASSWORD_MAX_LENGTH is {settings.SEUIL_PASSWORD_MAX_LENGTH}.",
                hint="Raise SEUIL_PASSWORD_MAX_LENGTH or lower SEUIL_PASSWORD_MIN_ENTROPY.",
                id="seuil.E002",
            )
        ]
    if shortest > settings.SEUIL_PASSWORD_MIN_LENGTH:
        return [
            Warning(
                f"SEUIL_PASSWORD_MIN_LENGTH={settings.SEUIL_PASSWORD_MIN_LENGTH} is below what "
                f"the other criteria allow: with SEUIL_PASSWORD_MIN_ENTROPY="
                f"{settings.SEUIL_PASSWORD_MIN_ENTROPY}, no password shorter than {shortest} "
                f"characters can pass. Pages and letters state {shortest}.",
                hint=f"Set SEUIL_PASSWORD_MIN_LENGTH={shortest} to say so in the configuration.",
                id="seuil.W001",
            )
        ]
    return []
