"""django-oauth-toolkit's validator, with seuil's rules: the opaque `sub`, claims limited to
what the service is registered for, nothing for a closed account or a status the service is not
for at any step, codes stored as digests, and tokens tied to the session that authorized them
(seuil.sso.chains): they end with it, never outlive its lifetime, and a replayed code revokes
what its first use obtained.

Only the validator's public methods (oauthlib's RequestValidator interface, and
`get_id_token_dictionary`, `finalize_id_token`) are overridden. A token request reads one row
set: the grant, with its client, service, person, `sub` and chain (seuil.sso.grants), and
writes in the one transaction the Token view opens. `validate_code`, `validate_bearer_token`,
`finalize_id_token` and `save_bearer_token` repeat the original's body on that row set, and
defer to the original for whatever seuil does not use (tests/test_oidc_validator.py fails if
an original starts setting anything a copy does not)."""

import json
import uuid
from datetime import timedelta
from typing import Any

from django.utils import timezone
from jwcrypto import jwt
from oauth2_provider.bcp import bcp_compliant
from oauth2_provider.exceptions import FatalClientError
from oauth2_provider.models import (
    AccessToken,
    Application,
    Grant,
    IDToken,
    RefreshToken,
    set_token_value,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from seuil.core.bulk import insert_one
from seuil.mfa.session import acr_of, amr_of
from seuil.sso.chains import Chain, code_digest
from seuil.sso.claims import SCOPE_OF
from seuil.sso.claims import claims_of as derive_claims
from seuil.sso.grants import (
    KNOWN_CLIENT,
    access_token_of,
    grant_of,
    inherited_resource,
    signing,
)
from seuil.sso.models import Service, ServiceStatus, Subject


def _open(user: Any) -> bool:
    """Expired, locked or never-activated accounts get nothing, even with a code or a token
    obtained before they closed."""
    return bool(user is not None and getattr(user, "is_active", False))


def _admitted(user: Any, client: Any) -> bool:
    """Service.admits, for a client's service, in one query once the person is loaded."""
    person = getattr(user, "person", None)
    if not _open(user) or person is None or client is None:
        return False
    return ServiceStatus.objects.filter(service__oidc_client=client, status=person.status).exists()


def _service_of(client: Any) -> Service | None:
    """The client's service: read with the grant or the token (select_related), else now."""
    if client is None:
        return None
    try:
        return client.service  # type: ignore[no-any-return]
    except Service.DoesNotExist:
        return None


class Validator(OAuth2Validator):  # type: ignore[misc]
    oidc_claim_scope = {"sub": "openid", "acr": "openid", "amr": "openid", **SCOPE_OF}

    def get_claim_dict(self, request: Request) -> dict[str, Any]:
        """`sub`, the claims the service is registered for that the request's scopes let out
        (get_oidc_claims would drop the others), and acr and amr."""
        service = _service_of(request.client)
        scopes = set(request.scopes or ())
        allowed = [c for c in (service.claims if service else []) if SCOPE_OF.get(c) in scopes]
        return {
            "sub": Subject.of(request.user),
            **derive_claims(request.user, allowed),
            **self.authentication_claims(request),
        }

    def authentication_claims(self, request: Request) -> dict[str, Any]:
        """The ID token's acr and amr (RFC 8176), from the chain's record of the session's
        sign-in (seuil.sso.chains): at the token endpoint, where validate_code or
        validate_refresh_token read it."""
        methods = getattr(request, "seuil_methods", None)
        if not methods:
            return {}
        return {"acr": acr_of(methods), "amr": amr_of(methods)}

    def get_discovery_claims(self, request: Any) -> list[str]:
        return ["sub", *SCOPE_OF]

    def validate_silent_login(self, request: Request) -> bool:
        """prompt=none: oauthlib asks here before the view knows who is signed in, and would
        fail (NotImplementedError) without it. The Authorize view answers login_required when
        no one is; institutional services need no consent."""
        return True

    def validate_silent_authorization(self, request: Request) -> bool:
        return True

    # --- clients: the Authorize view's, or the grant's, read with them -----------------------

    def validate_client_id(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """The Authorize view read the client with its service (KNOWN_CLIENT, in the server's
        own part of the request's environment, where no header can reach): not again."""
        known = request.headers.get(KNOWN_CLIENT)
        if request.client is None and isinstance(known, Application):
            request.client = known  # the toolkit checks it is this client_id's, and usable
        return bool(super().validate_client_id(client_id, request, *args, **kwargs))

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        """The client a code was issued to came with the grant: the toolkit checks that it is
        the one the credentials name (else reads that one) and checks its secret."""
        if request.client is None and request.grant_type == "authorization_code" and request.code:
            grant = self._grant(request.code, request)
            if grant is not None:
                request.client = grant.application
        return bool(super().authenticate_client(request, *args, **kwargs))

    # --- codes: stored as digests, each grant read once per token request -------------------

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Request, *args: Any, **kwargs: Any
    ) -> None:
        """The grant keeps the code's digest; its chain, the session that authorized it and how
        its person signed in (the Authorize view passes `sign_on`, `auth_time` and
        `seuil_methods` in the credentials). Both rows in one statement on PostgreSQL."""
        digest = code_digest(code["code"])
        Chain.objects.start(
            code=digest,
            sign_on=getattr(request, "sign_on", "") or "",
            signed_in_at=getattr(request, "auth_time", None) or timezone.now(),
            methods=getattr(request, "seuil_methods", None) or {},
            grant=self._new_grant(request, digest),
        )

    def _new_grant(self, request: Request, digest: str) -> Grant:
        """django-oauth-toolkit's `_create_authorization_code`, unsaved (Chain.objects.start
        writes it with its chain in one statement): the same row, and the same refusal of a
        "plain" PKCE challenge (RFC 9700 §2.1.1). tests/test_oidc_validator.py compares the two
        rows, and fails on the toolkit's upgrade that changes its own."""
        if request.code_challenge_method == "plain" and bcp_compliant(
            "COMPLIANT_BCP_RFC9700_PKCE_METHOD", 'The PKCE "plain" code_challenge_method'
        ):
            raise errors.InvalidRequestError(
                description='Unsupported "plain" code_challenge_method; use "S256".',
                request=request,
            )
        lifetime = timedelta(seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS)
        return Grant(
            application=request.client,
            user=request.user,
            code=digest,
            expires=timezone.now() + lifetime,
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method or "",
            nonce=request.nonce or "",
            claims=json.dumps(request.claims or {}),
            resource=getattr(request, "resource", []),
        )

    def _grant(self, code: str, request: Request) -> Any:
        """The code's grant with its client, service, person, `sub` and chain, read once per
        request (oauthlib asks for its scopes before the client is authenticated, then for the
        rest): None if it is another client's."""
        cached: dict[str, Any] = request.__dict__.setdefault("seuil_grants", {})
        if code not in cached:
            cached[code] = grant_of(code)
        grant = cached[code]
        client = request.client
        if grant is None or (client is not None and grant.application_id != client.pk):
            return None
        return grant

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str | None,
        client: Any,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """The redirect URI of the authorization request, sent again: RFC 6749 §4.1.3 requires
        it whenever the authorization request carried one, and seuil's always do (OpenID Connect
        Core §3.1.2.1; the Authorize view refuses one without it). oauthlib would otherwise take
        the client's first registered address in its place."""
        if getattr(request, "using_default_redirect_uri", False):
            return False
        grant = self._grant(code, request)
        return bool(grant and redirect_uri and grant.redirect_uri_allowed(redirect_uri))

    def get_code_challenge(self, code: str, request: Request) -> str | None:
        grant = self._grant(code, request)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code: str, request: Request) -> str | None:
        grant = self._grant(code, request)
        return (grant.code_challenge_method or None) if grant else None

    def get_authorization_code_scopes(
        self, client_id: str, code: str, redirect_uri: str, request: Request
    ) -> list[str]:
        grant = self._grant(code, request)
        return grant.scope.split() if grant else []

    def get_authorization_code_nonce(
        self, client_id: str, code: str, redirect_uri: str, request: Request
    ) -> str | None:
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant else None

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """django-oauth-toolkit's, on the one grant read, and only for an open account; the
        code is spent at once. A code that is gone was used before: RFC 6749 §4.1.2 revokes
        what its first use obtained."""
        grant = self._grant(code, request)
        # Spent by this very attempt, whatever comes next (a wrong PKCE verifier or redirect
        # URI): of concurrent requests with one code, exactly one deletes it, and the others
        # wait for its transaction (the Token view's) before they revoke what it issued.
        if grant is None or not Grant.objects.filter(pk=grant.pk).delete()[0]:
            Chain.objects.filter(code=code_digest(code)).revoke()
            return False
        if grant.is_expired() or not _open(grant.user):
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        request.auth_time = grant.seuil_signed_in_at
        request.seuil_methods = grant.seuil_methods or {}
        return True

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        """Nothing left to do: validate_code spent the code."""

    def finalize_id_token(
        self, id_token: dict[str, Any], token: Any, token_handler: Any, request: Request
    ) -> str:
        """django-oauth-toolkit's, with the signing key and its `kid` made once per worker
        (they come from the settings, which do not change while it runs), and the ID token's
        row written in the request's transaction (the Token view's) rather than one of its
        own. Other algorithms than RS256 (seuil registers none): the toolkit's."""
        if request.client.algorithm != Application.RS256_ALGORITHM:
            return str(super().finalize_id_token(id_token, token, token_handler, request))
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:  # oauthlib #746, as the toolkit does
            id_token["nonce"] = request.nonce
        key, header = signing(oauth2_settings.OIDC_RSA_PRIVATE_KEY)
        signed = jwt.JWT(header=header, claims=json.dumps(id_token, default=str))
        signed.make_signed_token(key)
        row = insert_one(
            IDToken(
                user=request.user,
                scope=request.scope or " ".join(request.scopes),
                expires=expiration_time,
                jti=id_token["jti"],
                application=request.client,
            )
        )
        request.access_token = row
        request.id_token = row
        return str(signed.serialize())

    def save_bearer_token(
        self, token: dict[str, Any], request: Request, *args: Any, **kwargs: Any
    ) -> Any:
        """For a code: django-oauth-toolkit's `_save_bearer_token`, on what this request
        already holds (the ID token row finalize_id_token wrote, the grant's resources), in
        the Token view's transaction; the new tokens join the chain their code started. For
        a refresh: the toolkit's."""
        id_token = getattr(request, "id_token", None)
        if request.grant_type != "authorization_code" or (
            token.get("id_token") and not isinstance(id_token, IDToken)
        ):
            return super().save_bearer_token(token, request, *args, **kwargs)
        if "scope" not in token:
            raise FatalClientError("Failed to renew access token: missing scope")
        grant = self._grant(request.code, request)
        request.resource = inherited_resource(request, grant.resource if grant else None)
        seconds = token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        access = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=timezone.now() + timedelta(seconds=seconds),
            id_token=id_token if token.get("id_token") else None,
            application=request.client,
            resource=request.resource,
        )
        set_token_value(access, token["access_token"])
        insert_one(access)  # the three rows of a token request: not compiled each time
        if token.get("refresh_token"):
            family = uuid.uuid4()
            refresh = RefreshToken(
                user=request.user,
                application=request.client,
                access_token=access,
                token_family=family,
                resource=request.resource,
            )
            set_token_value(refresh, token["refresh_token"])
            insert_one(refresh)
            Chain.objects.filter(code=code_digest(request.code)).update(family=family)
        return None

    # --- tokens: the session's lifetime, the service's statuses ------------------------------

    def validate_bearer_token(self, token: str, scopes: list[str], request: Request) -> bool:
        """userinfo: an open account, of a status the token's service is for. A valid token
        with no resource restriction is read once, with its client, service, person, `sub` and
        whether the service is for the person's status; anything else (an unknown, expired,
        resource-bound token, introspection) goes the toolkit's way, which says why."""
        found = access_token_of(token) if token else None
        if (
            found is None
            or not found.is_valid(scopes)
            or found.resource
            or found.application is None
            or not found.application.is_usable(request)
            or oauth2_settings.RESOURCE_SERVER_INTROSPECTION_URL
        ):
            valid = super().validate_bearer_token(token, scopes, request)
            return bool(valid) and _admitted(request.user, request.client)
        request.client = found.application
        request.user = found.user
        request.scopes = list(found.scopes)
        request.access_token = found
        return _open(found.user) and found.seuil_admitted

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """A refresh only within SEUIL_SESSION_MAX_HOURS of the sign-in that started the chain,
        for an account the service still admits; its ID token says that sign-in's time and
        methods (auth_time, acr, amr), as the first one did."""
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if not valid:
            return False
        family = request.refresh_token_instance.token_family
        chain = Chain.objects.filter(family=family).first() if family else None
        if chain is None or chain.expired():
            return False
        request.auth_time = chain.signed_in_at
        request.seuil_methods = chain.methods or {}
        return _admitted(request.user, client)

    def get_id_token_dictionary(
        self, token: Any, token_handler: Any, request: Request
    ) -> tuple[dict[str, Any], Any]:
        """auth_time is this session's sign-in, not the account's last sign-in anywhere."""
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        auth_time = getattr(request, "auth_time", None)
        if auth_time is not None:
            claims["auth_time"] = int(auth_time.timestamp())
        return claims, expiration
