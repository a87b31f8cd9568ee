"""What seuil's validator (seuil.sso.validator) reads and computes on the OpenID Connect hot
paths, each in one statement or once per worker:

- a code's grant, with its client, the client's service, the person, their `sub` and the chain
  the code started (its sign-in time and methods): everything a token request reads;
- an access token, with the same, and whether the service is for the person's status:
  everything a userinfo request reads;
- the signing key and its `kid`, made from the settings' PEM once per worker (immutable data:
  every host computes the same from the same key);
- the resources (RFC 8707) a token request may carry, checked against its grant's;
- new access and refresh tokens.
"""

import hashlib
import json
import secrets
from functools import lru_cache
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from jwcrypto import jwk
from oauth2_provider.models import AccessToken, Grant
from oauth2_provider.oauth2_validators import is_valid_resource_uri
from oauth2_provider.utils import jwk_from_pem
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from seuil.core.prepared import PreparedRead
from seuil.sso.chains import Chain, code_digest
from seuil.sso.models import ServiceStatus

# Where the Authorize view leaves the client it read with the service, for the validator: a key
# of the request's environment without the HTTP_ prefix, so that no request header can set it
# (django-oauth-toolkit hands the environment to oauthlib as the request's headers).
KNOWN_CLIENT = "seuil.oidc_client"
# The person's sub, the service and the client, joined to the grant or the token.
RELATED = ("user__person", "user__oidc_subject", "application__service")


def _grant(digest: str) -> "models.QuerySet[Grant]":
    chain = Chain.objects.filter(code=OuterRef("code"))
    found: models.QuerySet[Grant] = (
        Grant.objects.select_related(*RELATED)
        .annotate(
            seuil_signed_in_at=Subquery(chain.values("signed_in_at")[:1]),
            seuil_methods=Subquery(chain.values("methods")[:1], output_field=models.JSONField()),
        )
        .filter(code=digest)[:1]  # the code is unique: no ORDER BY, as first() adds
    )
    return found


def _access_token(checksum: str) -> "models.QuerySet[AccessToken]":
    statuses = ServiceStatus.objects.filter(
        service__oidc_client=OuterRef("application_id"), status=OuterRef("user__person__status")
    )
    found: models.QuerySet[AccessToken] = (
        AccessToken.objects.select_related(*RELATED)
        .annotate(seuil_admitted=Exists(statuses))
        .filter(token_checksum=checksum)[:1]
    )
    return found


# Compiled once per worker (seuil.core.prepared): the SQL of these joins was most of the read.
GRANT = PreparedRead(_grant, "seuil:prepared:code")
ACCESS_TOKEN = PreparedRead(_access_token, "seuil:prepared:checksum")


def new_token(request: Any, refresh_token: bool = False) -> str:
    """An access or refresh token (django-oauth-toolkit's ACCESS_TOKEN_GENERATOR): 256 random
    bits, URL-safe. oauthlib's default draws its 30 characters one at a time from the system's
    random source, 0.05 ms of a token request's CPU for its two tokens; this is one draw."""
    return secrets.token_urlsafe(32)


def grant_of(code: str) -> Grant | None:
    """The grant of a code in clear, with what a token request needs, in one statement."""
    return GRANT.first(code_digest(code))


def access_token_of(token: str) -> AccessToken | None:
    """An access token, looked up as django-oauth-toolkit does (by its SHA-256), with what a
    userinfo request needs, in one statement: `seuil_admitted` says whether the token's
    service is for its person's status (Service.admits, less the account's state)."""
    return ACCESS_TOKEN.first(hashlib.sha256(token.encode("utf-8")).hexdigest())


@lru_cache(maxsize=4)
def signing(pem: str) -> tuple[jwk.JWK, str]:
    """The key ID tokens are signed with, and their header with its `kid` (the key's RFC 7638
    thumbprint, which the JWKS publishes), as django-oauth-toolkit's finalize_id_token makes
    them on every token."""
    key = jwk_from_pem(pem)
    header = {"typ": "JWT", "alg": "RS256", "kid": key.thumbprint()}
    return key, json.dumps(header)


def inherited_resource(request: Request, granted: list[str] | None) -> list[str]:
    """The resources (RFC 8707) of the tokens a code gives, as django-oauth-toolkit decides
    them, with the grant this request read: those the token request names, each an absolute
    URI and, if the grant named some, among them; else the grant's."""
    resource = getattr(request, "resource", None)
    if isinstance(resource, str):  # oauthlib keeps the last of repeated parameters
        repeated = [v for k, v in (getattr(request, "decoded_body", None) or []) if k == "resource"]
        resource = repeated if len(repeated) > 1 else ([resource] if resource.strip() else [])
    asked: list[str] = list(resource) if isinstance(resource, list) else []
    granted = list(granted or [])
    for uri in [*asked, *([] if asked else granted)]:
        if not is_valid_resource_uri(uri):
            raise errors.CustomOAuth2Error(
                error="invalid_target",
                description=f"The resource '{uri}' is not a valid resource indicator: "
                "it must be an absolute URI with a scheme and host.",
                request=request,
            )
    if asked and granted:
        for uri in asked:
            if uri not in granted:
                raise errors.CustomOAuth2Error(
                    error="invalid_target",
                    description=f"The requested resource '{uri}' is not allowed. Token request "
                    "cannot escalate resource permissions beyond the original authorization grant",
                    request=request,
                )
        return asked
    return asked or granted
