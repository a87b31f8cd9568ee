"""Back-channel single logout, as Shibboleth IdP does it: a session that ends without a browser
on seuil's sign-out page (a password reset, a new Sésame, HR's lock, the expiry, the purge, the
session's maximum, someone else signing in on the browser) still ends at its SAML SPs.

For each SP of the ending session whose metadata publishes a SingleLogoutService with the SOAP
binding, a row of BackChannelLogout is queued (once, whoever reports the end), then sent in the
background: a signed LogoutRequest naming the NameID and the SessionIndex of the assertions that
SP received. Nothing waits for it, and an SP that is down fails nothing: its row is retried by
`seuil saml_logout` (cron, every minute) after 1, 5, 15 then 60 minutes, and given up after
MAX_ATTEMPTS with an audit record. An SP without a SOAP endpoint is skipped, and the skip is in
the audit log (`saml-logout`, failure).

Endpoints come from the SP's metadata: HTTPS for a federation's SPs (their metadata is not the
institution's to vet), the registered URL for the institution's own services, as CAS does.
"""

import hashlib
import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from threading import Event
from urllib.parse import urlsplit

from defusedxml import ElementTree
from django.db import close_old_connections, connections, transaction
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from seuil.accounts.models import Account
from seuil.audit.models import Action, AuditEvent, Outcome
from seuil.core.hooks import EndedSession
from seuil.core.http import back_channel_opener
from seuil.saml.idp import enabled, server_for
from seuil.saml.logout import logout_services, name_id_of
from seuil.saml.models import BackChannelLogout, ServiceProvider
from seuil.saml.session import SignedIn, signed_in_of

log = logging.getLogger(__name__)

SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
TIMEOUT = 5  # seconds per SP; nobody waits for it
MAX_ANSWER = 256 * 1024
BATCH = 50


class Unanswered(Exception):
    """The SP did not give a LogoutResponse: down, an HTTP error, or something else than SAML."""


def session_ended(ended: EndedSession) -> None:
    """seuil.core.hooks.after_session_end: queue the session's SOAP logouts, send them in the
    background."""
    if not enabled():
        return
    signed_in = signed_in_of(ended.data)
    if signed_in and queue(account_id=ended.account_id, signed_in=signed_in, why=ended.why):
        transaction.on_commit(_schedule, robust=True)  # the queued rows, once committed


def key_of(entry: SignedIn, account_id: int) -> str:
    """The same for every report of one session's end: its assertions' session indexes are
    unique, and the NameID and account tell apart entries written before they were kept."""
    parts = [str(account_id), entry.entity_id, entry.name_id, *entry.session_indexes]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def soap_endpoint(sp: ServiceProvider) -> str | None:
    """The SP's SingleLogoutService with the SOAP binding, if it has one seuil may call."""
    server = server_for(sp.entity_id, sp.metadata, sp.updated_at.timestamp())
    for endpoint in logout_services(server, sp.entity_id, SOAP):
        location = str(endpoint.get("location") or "")
        scheme = urlsplit(location).scheme
        if scheme == "https" or (scheme == "http" and sp.service is not None):
            return location
    return None


def queue(*, account_id: int, signed_in: list[SignedIn], why: str) -> int:
    """Queue a LogoutRequest for each SP with a SOAP endpoint; audit the others as skipped.
    Return how many rows this call added."""
    sps = ServiceProvider.objects.select_related("service").in_bulk(
        [e.entity_id for e in signed_in if e.name_id], field_name="entity_id"
    )
    rows, skipped = [], []
    for entry in signed_in:
        sp = sps.get(entry.entity_id)
        if sp is None or not entry.name_id or soap_endpoint(sp) is None:
            skipped.append(entry.entity_id)
            continue
        rows.append(
            BackChannelLogout(
                key=key_of(entry, account_id),
                account_id=account_id,
                entity_id=entry.entity_id,
                name_id=entry.name_id,
                name_format=entry.name_format,
                session_indexes=list(entry.session_indexes),
                why=why[:32],
            )
        )
    for entity_id in skipped:
        AuditEvent.record(
            Action.SAML_LOGOUT,
            outcome=Outcome.FAILURE,
            account=_account(account_id),
            sp=entity_id,
            why=why,
            result="skipped: no SOAP SingleLogoutService",
        )
    before = BackChannelLogout.objects.filter(key__in=[row.key for row in rows]).count()
    BackChannelLogout.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows) - before


def _account(account_id: int) -> Account | None:
    return Account.objects.filter(pk=account_id).first()


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="saml-slo")


_scheduled = Event()  # a drain is waiting in the pool: the rows queued since will be in it


def _schedule() -> None:
    """One drain waiting at a time: the nightly expiry ending thousands of sessions queues one
    claim loop, not thousands."""
    if not _scheduled.is_set():
        _scheduled.set()
        _pool().submit(_drain_in_background)


def _drain_in_background() -> None:
    """In a thread of the pool, with its own database connection, closed after."""
    _scheduled.clear()  # rows queued from now on need another drain
    try:
        drain()
    except Exception:
        log.exception("back-channel SAML logout: the queue could not be drained now")
    finally:
        close_old_connections()
        connections.close_all()


def drain() -> tuple[int, int]:
    """Send every due row, batch after batch; return (sent, failed)."""
    sent = failed = 0
    while batch := BackChannelLogout.objects.claim(BATCH):
        for row in batch:
            if attempt(row):
                sent += 1
            else:
                failed += 1
        if len(batch) < BATCH:
            break
    return sent, failed


def attempt(row: BackChannelLogout) -> bool:
    """One attempt at one row: True once the SP answered (or cannot be told any more)."""
    sp = ServiceProvider.objects.select_related("service").filter(entity_id=row.entity_id).first()
    endpoint = soap_endpoint(sp) if sp is not None else None
    if sp is None or endpoint is None:
        row.succeeded()
        _audit(row, Outcome.FAILURE, "skipped: no SOAP SingleLogoutService any more")
        return True
    try:
        status = send(sp, endpoint, row)
    except Unanswered as error:
        if row.failed(error) is None:
            _audit(row, Outcome.FAILURE, f"abandoned after {row.attempts} attempts: {error}")
        log.info("back-channel SAML logout to %s failed: %s", row.entity_id, error)
        return False
    row.succeeded()
    _audit(row, Outcome.SUCCESS if status == SUCCESS else Outcome.FAILURE, status)
    return True


def _audit(row: BackChannelLogout, outcome: str, result: str) -> None:
    AuditEvent.record(
        Action.SAML_LOGOUT,
        outcome=outcome,
        account=row.account,
        sp=row.entity_id,
        why=row.why,
        attempts=row.attempts,
        result=result[:200],
    )


def send(sp: ServiceProvider, endpoint: str, row: BackChannelLogout) -> str:
    """POST the signed LogoutRequest in a SOAP envelope; return the LogoutResponse's top-level
    status. Raises Unanswered."""
    server = server_for(sp.entity_id, sp.metadata, sp.updated_at.timestamp())
    request_id, signed = server.create_logout_request(
        endpoint,
        sp.entity_id,
        name_id=name_id_of(
            SignedIn(row.entity_id, row.name_id, row.name_format, tuple(row.session_indexes))
        ),
        session_indexes=list(row.session_indexes) or None,
        sign=True,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    body = envelope(str(signed))
    request = urllib.request.Request(  # noqa: S310 -- an http(s) endpoint (soap_endpoint)
        endpoint,
        data=body,
        method="POST",
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": "http://www.oasis-open.org/committees/security",
        },
    )
    try:
        with back_channel_opener().open(request, timeout=TIMEOUT) as answer:
            content = answer.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as error:
        raise Unanswered(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise Unanswered(str(getattr(error, "reason", error))) from None
    return status_of(content, request_id)


def envelope(signed: str) -> bytes:
    """The SOAP 1.1 envelope of the SAML SOAP binding; the request's own signature covers it."""
    if signed.startswith("<?xml"):
        signed = signed.split("?>", 1)[1].lstrip()
    return (
        f'<soap11:Envelope xmlns:soap11="{SOAP_ENV}"><soap11:Body>{signed}'
        "</soap11:Body></soap11:Envelope>"
    ).encode()


def status_of(content: bytes, request_id: str) -> str:
    """The top-level StatusCode of the LogoutResponse to `request_id`; raises Unanswered."""
    if len(content) > MAX_ANSWER:
        raise Unanswered("answer too long")
    try:
        root = ElementTree.fromstring(content)
    except Exception:  # noqa: BLE001 -- defusedxml raises several kinds; all mean unreadable
        raise Unanswered("not XML") from None
    response = root.find(f"{{{SOAP_ENV}}}Body/{{{PROTOCOL}}}LogoutResponse")
    if response is None:
        raise Unanswered("no LogoutResponse in the SOAP body")
    if response.get("InResponseTo") != request_id:
        raise Unanswered("a LogoutResponse to another request")
    code = response.find(f"{{{PROTOCOL}}}Status/{{{PROTOCOL}}}StatusCode")
    return (code.get("Value") or "") if code is not None else ""
