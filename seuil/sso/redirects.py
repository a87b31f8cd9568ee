"""Which return addresses a service may register: absolute, HTTPS, without a fragment (OAuth 2.0
§3.1.2), matched exactly at sign-in. Plain HTTP only on loopback, where test clients live, and
only where seuil itself runs without TLS (SEUIL_SECURE_COOKIES=false)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from seuil.core.http import is_loopback_host


def check_redirect_uri(uri: str) -> None:
    parts = urlsplit(uri)
    plain = "http" in settings.SEUIL_OIDC_REDIRECT_SCHEMES
    https = parts.scheme == "https" or (
        plain and parts.scheme == "http" and is_loopback_host(parts.hostname or "")
    )
    if not https or not parts.hostname or parts.fragment or " " in uri:
        raise ValidationError(
            _("Adresse de retour refusée : %(uri)s (HTTPS, absolue, sans #fragment).")
            % {"uri": uri}
        )
