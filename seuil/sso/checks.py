"""The ID tokens' signing key is required in production, but not to make it.

settings.py cannot refuse to load without SEUIL_OIDC_KEY_FILE: `seuil oidc_key PATH`, the way
to make the key, would then stop at start-up on the very configuration it is for. Instead every
command that runs Django's system checks (all but `oidc_key`) refuses, and so does the WSGI
application (seuil/wsgi.py), where gunicorn runs no checks.
"""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

MISSING = "SEUIL_OIDC_KEY_FILE is required when SEUIL_DEBUG is false"


def missing_signing_key() -> bool:
    """Production without a key: a key made up at start would differ between hosts."""
    return not settings.DEBUG and not settings.SEUIL_OIDC_KEY_FILE


@register()
def signing_key_is_set(**kwargs: Any) -> list[CheckMessage]:
    if not missing_signing_key():
        return []
    return [
        Error(
            MISSING,
            hint="Make one with `seuil oidc_key /etc/seuil/oidc-key.pem` and point "
            "SEUIL_OIDC_KEY_FILE at it (docs/sso.md).",
            id="seuil.E003",
        )
    ]
