"""Which return addresses a service may register: absolute, HTTPS, without a fragment (OAuth 2.0
§3.1.2), matched exactly at sign-in. Plain HTTP only on loopback, where test clients live, and
only where seuil itself runs without TLS (SEUIL_SECURE_COOKIES=false)."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_redirect_uri(uri: str) -> None:
    parts = urlsplit(uri)
    plain = "http" in settings.SEUIL_OIDC_REDIRECT_SCHEMES
    https = parts.scheme == "https" or (
        plain and parts.scheme == "http" and _loopback(parts.hostname or "")
    )
    if not https or not parts.hostname or parts.fragment or " " in uri:
        raise ValidationError(
            _("Adresse de retour refusée : %(uri)s (HTTPS, absolue, sans #fragment).")
            % {"uri": uri}
        )
