"""Single logout. An SP's LogoutRequest (signed, over HTTP-Redirect or HTTP-POST) ends seuil's
session when its NameID is the one this session gave that SP; seuil answers with a signed
LogoutResponse. Signing out of seuil sends a LogoutRequest to every SAML SP of the session that
publishes a SingleLogoutService, front-channel: the sign-out page loads each in a frame, and one
that does not answer blocks nothing."""

from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext_lazy as _
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.request import LogoutRequest as CheckedLogoutRequest
from saml2.s_utils import UnsupportedBinding, error_status_factory, success_status_factory
from saml2.saml import NameID
from saml2.samlp import STATUS_UNKNOWN_PRINCIPAL
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from seuil.saml.idp import IdP, server_for
from seuil.saml.inbound import ASSERTION, STRONG, Refused, issuer_of, parse, xml_of
from seuil.saml.models import ServiceProvider
from seuil.saml.session import SignedIn, forget, put_back


@dataclass
class Answer:
    """Where the browser takes the LogoutResponse: a URL (Redirect) or a form (POST)."""

    binding: str
    url: str
    fields: dict[str, str]


@dataclass
class Incoming:
    sp: ServiceProvider
    name_id: str
    request: object
    server: IdP


def check_logout(
    *,
    encoded: str,
    binding: str,
    relay_state: str = "",
    sig_alg: str | None = None,
    signature: str | None = None,
) -> Incoming:
    """A LogoutRequest from a known SP, signed by it; raises Refused."""
    xml = xml_of(encoded, binding)
    issuer, methods = issuer_of(xml, "LogoutRequest")
    sp = ServiceProvider.objects.usable().filter(entity_id=issuer).first()
    if sp is None:
        raise Refused(_("Ce service n'est pas connu de l'ENT ni de ses fédérations."))
    if not methods and not signature:
        raise Refused(_("Une demande de déconnexion doit être signée par le service."))
    if any(method not in STRONG for method in methods) or (signature and sig_alg not in STRONG):
        raise Refused(_("La demande est signée avec un algorithme trop faible."))
    server = server_for(sp.entity_id, sp.metadata, sp.updated_at.timestamp())
    request = parse(
        server, xml, encoded, binding, True, relay_state, sig_alg, signature, CheckedLogoutRequest
    )
    return Incoming(sp=sp, name_id=_name_id_of(server, request), request=request, server=server)


def _name_id_of(server: IdP, request: Any) -> str:
    """The request's NameID, decrypted when the SP encrypted it (Shibboleth SP does when the
    IdP's metadata has an encryption key)."""
    if request.name_id is not None:
        return str(request.name_id.text or "").strip()
    if request.encrypted_id is None:
        return ""
    try:
        plain = server.sec.decrypt(str(request.encrypted_id))
        element = ElementTree.fromstring(plain).find(f"{{{ASSERTION}}}NameID")
    except Exception:  # noqa: BLE001 - a NameID seuil cannot read is no NameID of this session
        return ""
    return (element.text or "").strip() if element is not None else ""


def logout_services(server: IdP, entity_id: str, binding: str) -> list[dict[str, Any]]:
    """The SP's SingleLogoutServices with this binding; none (rather than pysaml2's
    UnsupportedBinding) when it publishes some with other bindings only."""
    try:
        return list(server.metadata.single_logout_service(entity_id, binding, "spsso") or [])
    except UnsupportedBinding:
        return []


def _endpoint(server: IdP, entity_id: str) -> tuple[str, str] | None:
    """The SP's SingleLogoutService, HTTP-Redirect first."""
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        found = logout_services(server, entity_id, binding)
        if found:
            endpoint = found[0]
            return binding, endpoint.get("response_location") or endpoint["location"]
    return None


def answer(incoming: Incoming, *, ended: bool, relay_state: str) -> Answer | None:
    """The signed LogoutResponse, or None when the SP publishes no SingleLogoutService."""
    found = _endpoint(incoming.server, incoming.sp.entity_id)
    if found is None:
        return None
    binding, destination = found
    status = (
        success_status_factory()
        if ended
        else error_status_factory((STATUS_UNKNOWN_PRINCIPAL, "not this session's"))
    )
    server = incoming.server
    response = server.create_logout_response(
        incoming.request,
        [binding],
        status=status,
        sign=binding == BINDING_HTTP_POST,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    info = server.apply_binding(
        binding,
        str(response),
        destination,
        relay_state,
        response=True,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    if binding == BINDING_HTTP_REDIRECT:
        return Answer(binding, dict(info["headers"])["Location"], {})
    fields = {"SAMLResponse": info["data"]} if "data" in info else {}
    return Answer(binding, destination, fields)


def sign_out_frames(session: SessionBase, *, skip: str = "") -> list[str]:
    """For a session about to end: the URLs of signed HTTP-Redirect LogoutRequests, for the
    sign-out page's frames, to the SPs it signed in to (but `skip`, the SP that asked). The SPs
    no frame can reach (no Redirect SingleLogoutService) stay in the session, so that the back
    channel tells them as it ends; the others leave it, told once."""
    frames, untold = _front_channel(forget(session), skip=skip)
    put_back(session, untold)
    return frames


def _front_channel(signed_in: list[SignedIn], *, skip: str) -> tuple[list[str], list[SignedIn]]:
    """The frames' URLs, and the SPs of `signed_in` (but `skip`) that no frame can tell."""
    urls: list[str] = []
    untold: list[SignedIn] = []
    rows = ServiceProvider.objects.filter(
        entity_id__in=[e.entity_id for e in signed_in if e.entity_id != skip]
    )
    by_id = {sp.entity_id: sp for sp in rows}
    for entry in signed_in:
        if entry.entity_id == skip:
            continue
        sp = by_id.get(entry.entity_id)
        if sp is None or not entry.name_id:
            untold.append(entry)
            continue
        server = server_for(sp.entity_id, sp.metadata, sp.updated_at.timestamp())
        found = logout_services(server, sp.entity_id, BINDING_HTTP_REDIRECT)
        if not found:
            untold.append(entry)
            continue
        destination = found[0]["location"]
        _, request = server.create_logout_request(
            destination,
            sp.entity_id,
            name_id=name_id_of(entry),
            session_indexes=list(entry.session_indexes) or None,
            sign=False,
            expire=None,
        )
        info = server.apply_binding(
            BINDING_HTTP_REDIRECT, str(request), destination, "", sign=True, sigalg=SIG_RSA_SHA256
        )
        urls.append(dict(info["headers"])["Location"])
    return urls, untold


def name_id_of(entry: SignedIn) -> NameID:
    """The NameID exactly as the assertion gave it: Shibboleth SP matches a LogoutRequest's
    NameID on its value, format and both qualifiers."""
    return NameID(
        format=entry.name_format,
        name_qualifier=settings.SEUIL_SAML_ENTITY_ID,
        sp_name_qualifier=entry.entity_id,
        text=entry.name_id,
    )
