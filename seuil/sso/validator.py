"""django-oauth-toolkit's validator, with seuil's rules: the opaque `sub`, claims limited to
what the service is registered for, and nothing for a closed account at any step."""

import json
from typing import Any

from oauth2_provider.models import Grant
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request

from seuil.mfa.session import acr_of, amr_of
from seuil.sso.claims import SCOPE_OF
from seuil.sso.claims import claims_of as derive_claims
from seuil.sso.methods import CodeMethods
from seuil.sso.models import Service, Subject


def _open(user: Any) -> bool:
    """Expired, locked or never-activated accounts get nothing, even with a code or a token
    obtained before they closed."""
    return bool(user is not None and getattr(user, "is_active", False))


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

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Request, *args: Any, **kwargs: Any
    ) -> None:
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        methods = getattr(request, "seuil_methods", None)
        if methods:
            CodeMethods.objects.record(code["code"], methods)

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

    def _load_application(self, client_id: str, request: Request) -> Any:
        """A client id from HTTP Basic may hold a NUL byte, which PostgreSQL refuses."""
        if client_id and "\x00" in client_id:
            return None
        return super()._load_application(client_id, request)

    def validate_silent_login(self, request: Request) -> bool:
        """prompt=none: oauthlib asks here before the view knows who is signed in, and would
        fail (NotImplementedError) without it. seuil's Authorize view answers login_required
        when no one is; institutional services need no consent."""
        return True

    def validate_silent_authorization(self, request: Request) -> bool:
        return True

    # A token request reads the code's grant six times in django-oauth-toolkit, and its user
    # and person twice more: one query per request instead (bench/sso.py).
    def _grant(self, code: str, client: Any) -> Grant | None:
        found: dict[str, Grant | None] = client.__dict__.setdefault("_seuil_grants", {})
        if code not in found:
            grants = Grant.objects.select_related("user__person")
            found[code] = grants.filter(code=code, application=client).first()
        return found[code]

    def confirm_redirect_uri(
        self, client_id: str, code: str, redirect_uri: str, client: Any, *args: Any, **kwargs: Any
    ) -> bool:
        grant = self._grant(code, client)
        return bool(grant and grant.redirect_uri_allowed(redirect_uri))

    def get_code_challenge(self, code: str, request: Request) -> str | None:
        grant = self._grant(code, request.client)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code: str, request: Request) -> str | None:
        grant = self._grant(code, request.client)
        return (grant.code_challenge_method or None) if grant else None

    def get_authorization_code_nonce(
        self, client_id: str, code: str, redirect_uri: str, request: Request
    ) -> str | None:
        if request.client is None:
            return super().get_authorization_code_nonce(client_id, code, redirect_uri, request)  # type: ignore[no-any-return]
        grant = self._grant(code, request.client)
        return (grant.nonce or None) if grant else None

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """django-oauth-toolkit's, on the one grant read, and only for an open account."""
        grant = self._grant(code, client)
        if grant is None or grant.is_expired() or not _open(grant.user):
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def validate_bearer_token(self, token: str, scopes: list[str], request: Request) -> bool:
        return bool(super().validate_bearer_token(token, scopes, request)) and _open(request.user)

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return bool(valid) and _open(request.user)
