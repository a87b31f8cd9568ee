"""The client's address, as seen through the proxies the institution trusts; whether a host
named in a URL is this machine; the opener of calls from seuil to services."""

import ipaddress
import ssl
import urllib.request
from functools import cache

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, unless it is a trusted proxy: then the rightmost untrusted X-Forwarded-For hop.

    Anything left of a trusted proxy's own entry was written by the client and may be forged, so it
    is never believed.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    if not _trusted(remote):
        return remote
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _valid(hop):
            break
        if not _trusted(hop):
            return hop
    return remote


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.SEUIL_TRUSTED_PROXIES)


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback address: the only hosts where plain HTTP is ever accepted (an
    OpenID Connect redirect, a CAS proxy callback in tests)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is an answer, not an invitation elsewhere


@cache
def back_channel_opener() -> urllib.request.OpenerDirector:
    """For seuil's own calls to services (CAS single logout and proxy callbacks, SAML SOAP
    logout): the system's certificate authorities with the host name checked against the
    certificate, and no redirect followed."""
    https = urllib.request.HTTPSHandler(context=ssl.create_default_context())
    return urllib.request.build_opener(https, _NoRedirect())
