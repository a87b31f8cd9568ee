"""What the CAS server asks of other systems: a proxy's callback, and the services' single logout.

Both are plain HTTP requests with short timeouts, that never follow a redirect.
"""

import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache, partial
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import transaction

from seuil.cas.models import ProxyGrantingTicket
from seuil.core.http import back_channel_opener, is_loopback_host

log = logging.getLogger(__name__)

CALLBACK_TIMEOUT = 5  # seconds; the validation that asked for a PGT waits for it
LOGOUT_TIMEOUT = 3  # seconds per service; nobody waits for these


def callback_allowed(url: str) -> bool:
    """HTTPS, as the specification requires of a proxy callback; plain HTTP only on loopback and
    only with SEUIL_CAS_LOOPBACK_HTTP (tests)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises on a malformed port
    except ValueError:
        return False
    if not host or parts.username is not None:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http" or not settings.SEUIL_CAS_LOOPBACK_HTTP:
        return False
    return is_loopback_host(host)


def deliver_pgt(url: str, *, pgt: str, iou: str) -> bool:
    """Hand the PGT to the proxy's callback (spec 2.5.4): it holds it only if it answers 200."""
    separator = "&" if urlsplit(url).query else ("" if url.endswith("?") else "?")
    target = f"{url}{separator}{urlencode({'pgtIou': iou, 'pgtId': pgt})}"
    try:
        with back_channel_opener().open(target, timeout=CALLBACK_TIMEOUT) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError, ValueError) as error:
        log.info("CAS proxy callback %s refused the PGT: %s", url, error)
        return False


def logout_request(ticket: str) -> str:
    """The SAML 2 LogoutRequest of the specification's section 2.3.3, naming the ticket."""
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="_{uuid.uuid4().hex}" Version="2.0" '
        f'IssueInstant="{datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}">'
        "<saml:NameID>@NOT_USED@</saml:NameID>"
        f"<samlp:SessionIndex>{ticket}</samlp:SessionIndex>"
        "</samlp:LogoutRequest>"
    )


def _send_logout(service: str, ticket: str) -> None:
    body = urlencode({"logoutRequest": logout_request(ticket)}).encode()
    request = urllib.request.Request(  # noqa: S310 -- a registered http(s) service
        service,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with back_channel_opener().open(request, timeout=LOGOUT_TIMEOUT):
            pass
    except urllib.error.HTTPError:
        pass  # it answered: whatever it says, the request reached it
    except (urllib.error.URLError, OSError, ValueError) as error:
        log.info("CAS single logout to %s failed: %s", service, error)


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=16, thread_name_prefix="cas-slo")


def single_logout(*, tickets: Iterable[tuple[str, str]], sso: str) -> None:
    """End a person's CAS session: its proxy-granting tickets now, and a LogoutRequest to each
    service that got a ticket, in parallel and in the background so that a service that does
    not answer never holds up the sign-out."""
    if sso:
        ProxyGrantingTicket.objects.filter(sso=sso).delete()
    for service, ticket in tickets:  # once the session's end is committed, never before
        transaction.on_commit(partial(_pool().submit, _send_logout, service, ticket), robust=True)
