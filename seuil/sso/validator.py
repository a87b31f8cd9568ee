"""django-oauth-toolkit's validator, with seuil's rules: the opaque `sub`, claims limited to
what the service is registered for, and nothing for a closed account at any step."""

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request

from seuil.sso.claims import SCOPE_OF
from seuil.sso.claims import claims_of as derive_claims
from seuil.sso.models import Service, Subject


def _open(user: Any) -> bool:
    """Expired, locked or never-activated accounts get nothing, even with a code or a token
    obtained before they closed."""
    return bool(user is not None and getattr(user, "is_active", False))


class Validator(OAuth2Validator):  # type: ignore[misc]
    oidc_claim_scope = {"sub": "openid", **SCOPE_OF}

    def get_claim_dict(self, request: Request) -> dict[str, Any]:
        service = Service.objects.filter(oidc_client=request.client).first()
        allowed = list(service.claims) if service else []
        return {"sub": Subject.of(request.user), **derive_claims(request.user, allowed)}

    def get_discovery_claims(self, request: Any) -> list[str]:
        return ["sub", *SCOPE_OF]

    def validate_silent_login(self, request: Request) -> bool:
        """prompt=none: oauthlib asks here before the view knows who is signed in, and would
        fail (NotImplementedError) without it. seuil's Authorize view answers login_required
        when no one is; institutional services need no consent."""
        return True

    def validate_silent_authorization(self, request: Request) -> bool:
        return True

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        return bool(super().validate_code(client_id, code, client, request, *args, **kwargs)) and (
            _open(request.user)
        )

    def validate_bearer_token(self, token: str, scopes: list[str], request: Request) -> bool:
        return bool(super().validate_bearer_token(token, scopes, request)) and _open(request.user)

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return bool(valid) and _open(request.user)
