"""The Response to a checked request: signed (response and assertion, RSA-SHA256), its assertion
encrypted whenever the SP's metadata has an encryption key, with the NameID and attributes the
release rules allow."""

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from saml2.saml import (
    AUTHN_PASSWORD_PROTECTED,
    NAMEID_FORMAT_PERSISTENT,
    NAMEID_FORMAT_TRANSIENT,
    NameID,
)
from saml2.samlp import (
    STATUS_NO_AUTHN_CONTEXT,
    STATUS_NO_PASSIVE,
    STATUS_REQUEST_DENIED,
    Response,
)
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from seuil.accounts.models import Account
from seuil.mfa.session import REFEDS_MFA
from seuil.saml import attributes
from seuil.saml.idp import release_policy, server_for
from seuil.saml.inbound import Pending
from seuil.saml.models import FederationRelease, PersistentId, ServiceProvider
from seuil.saml.seal import encryption_certificate, seal


@dataclass
class Outgoing:
    """What the browser posts to the SP, and what the session keeps for single logout."""

    acs_url: str
    saml_response: str
    relay_state: str
    name_id: str = ""
    name_format: str = ""
    released: tuple[str, ...] = ()
    session_index: str = ""


def released_names(sp: ServiceProvider) -> list[str]:
    """The LDAP names this SP receives, by the release rules (seuil.saml.attributes)."""
    if sp.service is not None:
        return attributes.names_for(
            claims=sp.service.claims, research_and_scholarship=False, allowed=[]
        )
    rule = FederationRelease.objects.filter(entity_id=sp.entity_id).first()
    return attributes.names_for(
        claims=None,
        research_and_scholarship=sp.research_and_scholarship,
        allowed=list(rule.attributes) if rule else [],
    )


def identity_of(
    account: Account, sp: ServiceProvider, *, pairwise: str | None = None
) -> dict[str, list[str]]:
    """The attributes, with the pairwise-id (`pairwise`: the account's persistent identifier at
    this SP, when the caller has read it already), and the subject-id where the SP asks for it."""
    scope = settings.SEUIL_EPPN_SCOPE
    identity = attributes.values_of(account, released_names(sp))
    pairwise = pairwise or PersistentId.of(account, sp.entity_id)
    identity["pairwise-id"] = [f"{pairwise}@{scope}"]
    if sp.subject_id_req in {"subject-id", "any"}:
        identity["subject-id"] = [f"{PersistentId.of(account, '')}@{scope}"]
    return identity


def _encode(xml: object) -> str:
    data = xml if isinstance(xml, bytes) else str(xml).encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def respond(
    *,
    pending: Pending,
    sp: ServiceProvider,
    account: Account,
    authenticated_at: datetime,
    mfa: bool = False,
) -> Outgoing:
    """The assertion's AuthnContextClassRef is REFEDS MFA once the session has used a second
    factor, PasswordProtectedTransport for a password alone. pysaml2 writes the Response and its
    assertion (subject, conditions, attributes); seuil.saml.seal signs and encrypts them."""
    server = server_for(sp.entity_id, sp.metadata, sp.updated_at.timestamp())
    persistent = PersistentId.of(account, sp.entity_id)
    if pending.transient:
        value, name_format = secrets.token_hex(20), NAMEID_FORMAT_TRANSIENT
    else:
        value, name_format = persistent, NAMEID_FORMAT_PERSISTENT
    name_id = NameID(
        format=name_format,
        name_qualifier=settings.SEUIL_SAML_ENTITY_ID,
        sp_name_qualifier=sp.entity_id,
        text=value,
    )
    identity = identity_of(account, sp, pairwise=persistent)
    response = server.create_authn_response(
        identity,
        in_response_to=pending.request_id,
        destination=pending.acs_url,
        sp_entity_id=sp.entity_id,
        name_id=name_id,
        authn={
            "class_ref": REFEDS_MFA if mfa else AUTHN_PASSWORD_PROTECTED,
            "authn_instant": int(authenticated_at.timestamp()),
        },
        # Signed and encrypted below, on one tree, rather than by pysaml2 (three parses and
        # serialisations, a temporary file per certificate).
        sign_response=False,
        sign_assertion=False,
        encrypt_assertion=False,
        release_policy=release_policy(),
    )
    if not isinstance(response, Response):  # pysaml2 answers an error as a list of lines
        raise ValueError(f"pysaml2 made no Response: {response!r}"[:300])
    sealed = seal(response, encrypt_to=encryption_certificate(server, sp.entity_id))
    return Outgoing(
        acs_url=pending.acs_url,
        saml_response=_encode(sealed.xml),
        relay_state=pending.relay_state,
        name_id=value,
        name_format=name_format,
        released=tuple(sorted(identity)),
        session_index=sealed.session_index,
    )


def refuse(
    *, pending: Pending, sp: ServiceProvider, passive: bool, no_context: bool = False
) -> Outgoing:
    """A signed error Response: NoPassive when IsPassive finds no session, NoAuthnContext
    (under Responder) when REFEDS MFA is asked of a person with no second factor, else
    RequestDenied."""
    server = server_for(sp.entity_id, sp.metadata, sp.updated_at.timestamp())
    # pysaml2 puts every error's status code under a top-level Responder.
    if no_context:
        info = (STATUS_NO_AUTHN_CONTEXT, "no second factor")
    elif passive:
        info = (STATUS_NO_PASSIVE, "passive")
    else:
        info = (STATUS_REQUEST_DENIED, "denied")
    response = server.create_error_response(
        pending.request_id,
        pending.acs_url,
        info,
        sign=True,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    return Outgoing(
        acs_url=pending.acs_url, saml_response=_encode(response), relay_state=pending.relay_state
    )
