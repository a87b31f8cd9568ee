"""An AuthnRequest, checked before anything is sent anywhere: the SP is known, its signature (if
any, and always when its metadata says AuthnRequestsSigned) is its own, the request is fresh and
seen for the first time, and the AssertionConsumerService is one of the SP's metadata. Any
failure is a Refused, which the view shows as an error page, never a redirect or a POST."""

import base64
import calendar
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from defusedxml import ElementTree
from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.request import AuthnRequest as CheckedAuthnRequest
from saml2.samlp import AuthnRequest
from saml2.time_util import str_to_time

from seuil.mfa.session import REFEDS_MFA
from seuil.saml.idp import IdP, server_for, url
from seuil.saml.models import SeenRequest, ServiceProvider

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
# Signature algorithms accepted on requests: SHA-256 or stronger, as the metadata advertises.
STRONG = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
}
# A signature's digests count as its algorithm: any but these marks the request weak.
DIGESTS = {
    "http://www.w3.org/2001/04/xmlenc#sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
}
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
ACCEPTED_FORMATS = {
    "",
    PERSISTENT,
    TRANSIENT,
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
}
MAX_REQUEST = 64 * 1024


class Refused(Exception):
    """Why a request gets an error page; `status` is the HTTP status of that page."""

    def __init__(self, reason: "str | StrPromise", status: int = 400) -> None:
        super().__init__(str(reason))
        self.reason, self.status = str(reason), status


@dataclass
class Pending:
    """What seuil keeps of a checked request while the person signs in (in the session)."""

    entity_id: str
    request_id: str
    acs_url: str
    relay_state: str
    transient: bool
    force_authn: bool
    is_passive: bool
    received_at: float = field(default_factory=lambda: timezone.now().timestamp())
    wants_mfa: bool = False  # its RequestedAuthnContext asks for REFEDS MFA

    @classmethod
    def from_session(cls, data: object) -> "Pending | None":
        try:
            return cls(**data)  # type: ignore[arg-type]
        except TypeError:
            return None


def xml_of(encoded: str, binding: str) -> bytes:
    if len(encoded) > MAX_REQUEST:
        raise Refused(_("Demande trop longue."))
    try:
        raw = base64.b64decode(encoded, validate=False)
        if binding == BINDING_HTTP_REDIRECT:
            inflater = zlib.decompressobj(-15)
            raw = inflater.decompress(raw, MAX_REQUEST)
            if inflater.unconsumed_tail:
                raise Refused(_("Demande trop longue."))
    except (ValueError, zlib.error):
        raise Refused(_("Demande SAML illisible.")) from None
    return raw


def issuer_of(xml: bytes, kind: str = "AuthnRequest") -> tuple[str, list[str]]:
    """The request's Issuer, and the algorithms of its embedded signatures; defusedxml refuses
    entities and DTDs before pysaml2 sees anything."""
    try:
        root = ElementTree.fromstring(xml)
    except Exception:  # noqa: BLE001 - defusedxml raises several kinds; all mean unreadable
        raise Refused(_("Demande SAML illisible.")) from None
    if root.tag != f"{{{PROTOCOL}}}{kind}":
        raise Refused(_("Ce n'est pas une demande SAML de ce type."))
    issuer = root.find(f"{{{ASSERTION}}}Issuer")
    if issuer is None or not (issuer.text or "").strip():
        raise Refused(_("La demande ne dit pas de quel service elle vient."))
    methods = [element.get("Algorithm", "") for element in root.iter(f"{{{DSIG}}}SignatureMethod")]
    return (issuer.text or "").strip(), methods


def _acs(server: IdP, sp: str, request: AuthnRequest) -> str:
    """The AssertionConsumerService to answer: the URL or index the request names, if the SP's
    metadata has it with the HTTP-POST binding, else its default one."""
    endpoints = server.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST) or []
    url, index = request.assertion_consumer_service_url, request.assertion_consumer_service_index
    if url:
        found = [e["location"] for e in endpoints if e["location"] == url]
    elif index is not None:
        found = [e["location"] for e in endpoints if str(e.get("index")) == str(index)]
    else:
        default = [e for e in endpoints if str(e.get("is_default", "")).lower() == "true"]
        found = [e["location"] for e in default or endpoints][:1]
    if not found:
        raise Refused(_("L'adresse de retour demandée n'est pas celle que ce service a déclarée."))
    return str(found[0])


def check(
    *,
    encoded: str,
    binding: str,
    relay_state: str = "",
    sig_alg: str | None = None,
    signature: str | None = None,
) -> tuple[Pending, ServiceProvider]:
    """The request, checked; raises Refused."""
    xml = xml_of(encoded, binding)
    issuer, methods = issuer_of(xml)
    sp = ServiceProvider.objects.usable().select_related("service").filter(entity_id=issuer).first()
    if sp is None:
        raise Refused(_("Ce service n'est pas connu de l'ENT ni de ses fédérations."))
    signed = bool(methods) or bool(signature)
    if sp.authn_requests_signed and not signed:
        raise Refused(_("Ce service doit signer ses demandes, et celle-ci ne l'est pas."))
    if any(method not in STRONG for method in methods) or (signature and sig_alg not in STRONG):
        raise Refused(_("La demande est signée avec un algorithme trop faible."))
    server = server_for(sp.entity_id, sp.metadata, sp.updated_at.timestamp())
    request = parse(server, xml, encoded, binding, signed, relay_state, sig_alg, signature)
    if request.destination and request.destination not in {url("sso/redirect"), url("sso/post")}:
        raise Refused(_("La demande est adressée à un autre fournisseur d'identité."))
    skew = timedelta(seconds=settings.SEUIL_SAML_CLOCK_SKEW)
    now = timezone.now()
    try:
        issued = datetime.fromtimestamp(calendar.timegm(str_to_time(request.issue_instant)), UTC)
    except (TypeError, ValueError):
        raise Refused(_("La demande ne dit pas quand elle a été faite.")) from None
    if not now - skew <= issued <= now + skew:
        raise Refused(_("La demande a expiré, ou l'horloge du service est déréglée."))
    if not SeenRequest.first_time(issuer=issuer, request_id=request.id, window=2 * skew):
        raise Refused(_("Cette demande a déjà servi : revenez au service et recommencez."))
    policy = request.name_id_policy
    name_format = (policy.format or "") if policy is not None else ""
    if name_format not in ACCEPTED_FORMATS:
        raise Refused(_("Ce service demande un format d'identifiant que l'ENT ne fournit pas."))
    pending = Pending(
        entity_id=sp.entity_id,
        request_id=request.id,
        acs_url=_acs(server, sp.entity_id, request),
        relay_state=relay_state[: 80 * 1024],
        transient=name_format == TRANSIENT,
        force_authn=str(request.force_authn).lower() == "true",
        is_passive=str(request.is_passive).lower() == "true",
        wants_mfa=wants_mfa(request),
    )
    return pending, sp


def wants_mfa(request: AuthnRequest) -> bool:
    """Does the RequestedAuthnContext ask for REFEDS MFA? With Comparison exact (the default) or
    minimum, a second factor is then needed; REFEDS MFA is the strongest context seuil answers,
    so "better" cannot be met and "maximum" is met by less (a password)."""
    requested = request.requested_authn_context
    if requested is None:
        return False
    comparison = (requested.comparison or "exact").strip()
    refs = [(ref.text or "").strip() for ref in requested.authn_context_class_ref or []]
    return comparison in {"exact", "minimum"} and REFEDS_MFA in refs


def parse(
    server: IdP,
    xml: bytes,
    encoded: str,
    binding: str,
    signed: bool,
    relay_state: str,
    sig_alg: str | None,
    signature: str | None,
    kind: type = CheckedAuthnRequest,
) -> Any:
    """pysaml2 verifies the signatures against the SP's metadata (`must`: a signature present is
    always checked, pysaml2 otherwise ignores one on the Redirect binding)."""
    checked = kind(server.sec, [], server.config.attribute_converters, timeslack=0)
    try:
        loaded = checked.loads(
            xml.decode("utf-8"),
            binding,
            origdoc=encoded,
            must=signed,
            relay_state=relay_state or None,
            sigalg=sig_alg,
            signature=signature,
        )
    except UnicodeDecodeError:
        raise Refused(_("Demande SAML illisible.")) from None
    except Exception:  # noqa: BLE001 - pysaml2 raises a dozen kinds for a bad signature or schema
        raise Refused(_("La signature de la demande n'est pas celle de ce service."), 403) from None
    if not loaded or loaded.message is None:
        raise Refused(_("La signature de la demande n'est pas celle de ce service."), 403)
    return loaded.message
