"""django-oauth-toolkit's validator, with seuil's rules: the opaque `sub`, claims limited to
what the service is registered for, nothing for a closed account or a status the service is not
for at any step, codes stored as digests, and tokens tied to the session that authorized them
(seuil.sso.chains): they end with it, never outlive its lifetime, and a replayed code revokes
what its first use obtained.

Only the validator's public methods (oauthlib's RequestValidator interface, and
`get_id_token_dictionary`) are overridden. `validate_code` copies django-oauth-toolkit's body so
that a token request reads its grant once (tests/test_oidc_validator.py fails if the original
changes what it sets)."""

import json
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from oauth2_provider.models import Grant, RefreshToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request

from seuil.mfa.session import acr_of, amr_of
from seuil.sso.chains import Chain, code_digest, token_digest
from seuil.sso.claims import SCOPE_OF
from seuil.sso.claims import claims_of as derive_claims
from seuil.sso.methods import CodeMethods
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


class Validator(OAuth2Validator):  # type: ignore[misc]
    oidc_claim_scope = {"sub": "openid", "acr": "openid", "amr": "openid", **SCOPE_OF}

    def get_claim_dict(self, request: Request) -> dict[str, Any]:
        service = Service.objects.filter(oidc_client=request.client).first()
        allowed = list(service.claims) if service else []
        return {
            "sub": Subject.of(request.user),
            **derive_claims(request.user, allowed),
            **self.authentication_claims(request),
        }

    def authentication_claims(self, request: Request) -> dict[str, Any]:
        """The ID token's acr and amr (RFC 8176), from the code's record of the session: at the
        token endpoint only, where the code is known."""
        code = getattr(request, "code", None)
        methods = CodeMethods.objects.of(code) if code else {}
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

    # --- codes: stored as digests, each grant read once per token request -------------------

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Request, *args: Any, **kwargs: Any
    ) -> None:
        """The grant keeps the code's digest; its chain, the session that authorized it (the
        Authorize view passes `sign_on` and `auth_time` in the credentials)."""
        digest = code_digest(code["code"])
        super().save_authorization_code(client_id, {**code, "code": digest}, request)
        Chain.objects.start(
            code=digest,
            sign_on=getattr(request, "sign_on", "") or "",
            signed_in_at=getattr(request, "auth_time", None) or timezone.now(),
        )
        methods = getattr(request, "seuil_methods", None)  # for acr and amr (seuil.sso.methods)
        if methods:
            CodeMethods.objects.record(code["code"], methods)

    def _grant(self, code: str, request: Request) -> Grant | None:
        """The code's grant, with its person and its chain's sign-in, read once per request
        (oauthlib asks for its scopes before the client is authenticated, then for the rest):
        None if it is another client's."""
        cached: dict[str, Grant | None] = request.__dict__.setdefault("seuil_grants", {})
        if code not in cached:
            chain = Chain.objects.filter(code=OuterRef("code"))
            cached[code] = (
                Grant.objects.select_related("user__person")
                .annotate(signed_in_at=Subquery(chain.values("signed_in_at")[:1]))
                .filter(code=code_digest(code))
                .first()
            )
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
        # URI): of concurrent requests with one code, exactly one deletes it.
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
        request.auth_time = grant.signed_in_at
        return True

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        """Nothing left to do: validate_code spent the code."""

    def save_bearer_token(
        self, token: dict[str, Any], request: Request, *args: Any, **kwargs: Any
    ) -> Any:
        """The new tokens join the chain their code started."""
        saved = super().save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "authorization_code" and token.get("refresh_token"):
            family = RefreshToken.objects.filter(
                token_checksum=token_digest(token["refresh_token"])
            ).values("token_family")[:1]
            Chain.objects.filter(code=code_digest(request.code)).update(family=Subquery(family))
        return saved

    # --- tokens: the session's lifetime, the service's statuses ------------------------------

    def validate_bearer_token(self, token: str, scopes: list[str], request: Request) -> bool:
        """userinfo: an open account, of a status the token's service is for."""
        valid = super().validate_bearer_token(token, scopes, request)
        return bool(valid) and _admitted(request.user, request.client)

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """A refresh only within SEUIL_SESSION_MAX_HOURS of the sign-in that started the chain,
        for an account the service still admits."""
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if not valid:
            return False
        family = request.refresh_token_instance.token_family
        chain = Chain.objects.filter(family=family).first() if family else None
        if chain is None or chain.expired():
            return False
        request.auth_time = chain.signed_in_at
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
