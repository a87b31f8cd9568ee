"""oauthlib's OpenID Connect server (django-oauth-toolkit's OIDC_SERVER_CLASS), with each
authorization request's query string parsed once.

oauthlib's `Request.duplicate_params` is a property that parses the whole query string each time
it is read, and an authorization request reads it once per parameter checked (client_id,
response_type, redirect_uri, scope, state) in each of its two validations (the view's, then the
one before the code is issued): ten parses of the same string, 0.13 ms of an authorization's CPU.
The two endpoints below are oauthlib's (`AuthorizationEndpoint`), building the request as
`ParsedOnce`; the grant types, the validator and every check are oauthlib's and seuil's as before.

`Backend` (OAUTH2_BACKEND_CLASS) is django-oauth-toolkit's, with the URI it hands oauthlib made
once per request (an authorization asks twice) and its characters gathered by `set()`: the
toolkit's generator over every character of the query was 5 % of an authorization's CPU.
"""

from functools import cached_property
from typing import Any
from urllib.parse import urlparse, urlunparse

from django.http import HttpRequest
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauthlib.common import Request, quote, urlencoded
from oauthlib.oauth2.rfc6749 import utils
from oauthlib.oauth2.rfc6749.endpoints.base import catch_errors_and_unavailability
from oauthlib.openid import Server as OpenIDServer


class ParsedOnce(Request):  # type: ignore[misc]  # oauthlib has no types
    """A request whose query string and duplicated parameters are worked out once: nothing in
    oauthlib or seuil changes a request's URI after it is made."""

    @cached_property
    def uri_query_params(self) -> list[tuple[str, str]]:
        return list(Request.uri_query_params.fget(self))

    @cached_property
    def duplicate_params(self) -> list[str]:
        return list(Request.duplicate_params.fget(self))


class Server(OpenIDServer):  # type: ignore[misc]
    @catch_errors_and_unavailability  # type: ignore[untyped-decorator]
    def create_authorization_response(
        self,
        uri: str,
        http_method: str = "GET",
        body: Any = None,
        headers: Any = None,
        scopes: Any = None,
        credentials: dict[str, Any] | None = None,
    ) -> Any:
        request = ParsedOnce(uri, http_method=http_method, body=body, headers=headers)
        request.scopes = scopes
        request.user = None  # as oauthlib: the validator sets it from the credentials' grant
        for name, value in (credentials or {}).items():
            setattr(request, name, value)
        handler = self.response_types.get(request.response_type, self.default_response_type_handler)
        return handler.create_authorization_response(request, self.default_token_type)

    @catch_errors_and_unavailability  # type: ignore[untyped-decorator]
    def validate_authorization_request(
        self, uri: str, http_method: str = "GET", body: Any = None, headers: Any = None
    ) -> Any:
        request = ParsedOnce(uri, http_method=http_method, body=body, headers=headers)
        request.scopes = utils.scope_to_list(request.scope)
        handler = self.response_types.get(request.response_type, self.default_response_type_handler)
        return handler.validate_authorization_request(request)


class Backend(OAuthLibCore):  # type: ignore[misc]
    def _get_escaped_full_path(self, request: HttpRequest) -> str:
        """The toolkit's: the characters Django leaves in a query that oauthlib refuses
        unescaped are percent-escaped."""
        kept: dict[str, str] = request.__dict__.setdefault("seuil_escaped_paths", {})
        path = request.get_full_path()
        if path not in kept:
            parts = list(urlparse(path))
            for character in set(parts[4]).difference(urlencoded):
                parts[4] = parts[4].replace(character, quote(character, safe=b""))
            kept[path] = urlunparse(parts)
        return kept[path]
