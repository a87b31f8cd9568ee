"""The pages of single sign-on: the sign-in that names the service, the authorization endpoint
with seuil's rules, and RP-initiated logout. Tokens, userinfo, discovery and JWKS are
django-oauth-toolkit's own views (seuil/sso/oidc_urls.py)."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from oauth2_provider.exceptions import InvalidOIDCClientError, OAuthToolkitError
from oauth2_provider.models import Application
from oauth2_provider.views import (
    AuthorizationView,
    ConnectDiscoveryInfoView,
    RPInitiatedLogoutView,
)
from oauthlib.openid.connect.core.exceptions import InteractionRequired, LoginRequired

from seuil.accounts.sessions import methods_used
from seuil.accounts.views import signin
from seuil.audit.models import Action, AuditEvent
from seuil.core.http import client_ip
from seuil.mfa.session import ACR_VALUES, REFEDS_MFA, satisfies_mfa
from seuil.mfa.stepup import ask_for_second_factor
from seuil.people.models import Status
from seuil.sso.models import Service


def refuse_nul(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """PostgreSQL cannot hold a NUL byte, and django-oauth-toolkit looks codes and client ids up
    as given: a request carrying one is refused here, instead of ending in a 500."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        values = [*request.GET.values(), *request.POST.values(), *request.headers.values()]
        if any("\x00" in value for value in values):
            return JsonResponse({"error": "invalid_request"}, status=400)
        return view(request, *args, **kwargs)

    return wrapped


def _origins(uris: str) -> list[str]:
    return sorted({f"{p.scheme}://{p.netloc}" for p in map(urlsplit, uris.split()) if p.netloc})


def _allow_redirects_to(response: HttpResponse, uris: str) -> HttpResponse:
    """Browsers apply CSP form-action to every redirect after a form is posted: the sign-in
    (and the logout confirmation) ends at the service, so its origins join 'self' there."""
    origins = _origins(uris)
    if origins:
        response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
    return response


def _service_of(target: str) -> Service | None:
    """The service an authorization request in `target` (the sign-in's next) comes from."""
    parts = urlsplit(target)
    if parts.path != reverse("oauth2_provider:authorize"):
        return None
    client_id = parse_qs(parts.query).get("client_id", [""])[0]
    return Service.objects.for_client(client_id) if client_id else None


def origins_of_authorization(target: str) -> list[str]:
    """The origins of the service an authorization request goes back to (its redirect URIs)."""
    service = _service_of(target)
    client = service.oidc_client if service else None
    return _origins(client.redirect_uris) if client else []


@login_not_required
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    """seuil's sign-in, titled with the service the person comes from: "Connexion à Espace de
    cours". On success the authorization goes on, and every later one needs no password."""
    service = _service_of(signin.next_page(request))
    response = signin.sign_in(request, extra_context={"service": service})
    if service and service.oidc_client:
        _allow_redirects_to(response, service.oidc_client.redirect_uris)
    return response


@method_decorator(login_not_required, name="dispatch")  # it sends strangers to its own sign-in
class Authorize(AuthorizationView):  # type: ignore[misc]
    """Authorization code with PKCE S256 (settings.OAUTH2_PROVIDER), plus seuil's rules, in this
    order: a malformed request or an unregistered redirect_uri gets an error page, never a
    redirect; a client that is no registered service is refused; a person not signed in goes to
    the sign-in naming the service (or, with prompt=none, back with login_required); a status
    the service is not for gets a clear page and no code. Registered services never show a
    consent screen (skip_authorization)."""

    login_url = reverse_lazy("sso:sign-in")
    http_method_names = ["get"]  # no consent form to post

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.oauth2_data: dict[str, Any] = {}
        try:
            _, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)  # type: ignore[no-any-return]
        service = Service.objects.for_client(credentials["client_id"])
        if service is None:
            return render(request, "sso/refused.html", {"service": None}, status=403)
        if not request.user.is_authenticated:
            if "none" in request.GET.get("prompt", "").split():  # a silent check: no page
                refusal = OAuthToolkitError(
                    LoginRequired(state=credentials.get("state")),
                    redirect_uri=credentials["redirect_uri"],
                )
                return self.error_response(refusal, application=service.oidc_client)  # type: ignore[no-any-return]
            return redirect_to_login(request.get_full_path(), str(self.login_url))
        if not service.admits(request.user):
            labels = dict(Status.choices)
            context = {
                "service": service,
                "statuses": [labels[s] for s in sorted(service.status_codes())],
                "support": settings.SEUIL_SUPPORT_EMAIL,
            }
            return render(request, "sso/refused.html", context, status=403)
        if _wants_mfa(request, service) and not satisfies_mfa(request):
            if "none" in request.GET.get("prompt", "").split():  # no page may be shown
                refusal = OAuthToolkitError(
                    InteractionRequired(state=credentials.get("state")),
                    redirect_uri=credentials["redirect_uri"],
                )
                return self.error_response(refusal, application=service.oidc_client)  # type: ignore[no-any-return]
            return ask_for_second_factor(request, request.user, request.get_full_path())
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]

    def create_authorization_response(
        self, request: HttpRequest, scopes: str, credentials: dict[str, Any], allow: bool
    ) -> Any:
        """The code carries how the person proved who they are, for the ID token's acr and amr
        (seuil.sso.methods)."""
        credentials = {**credentials, "seuil_methods": methods_used(request)}
        return super().create_authorization_response(request, scopes, credentials, allow)


def _wants_mfa(request: HttpRequest, service: Service) -> bool:
    """The service is registered with require_mfa, or this request asks for REFEDS MFA in
    acr_values (taken as required: the profile's relying parties rely on it)."""
    return service.require_mfa or REFEDS_MFA in request.GET.get("acr_values", "").split()


@method_decorator(login_not_required, name="dispatch")
class Discovery(ConnectDiscoveryInfoView):  # type: ignore[misc]
    """django-oauth-toolkit's discovery document, with the authentication context classes seuil
    can say it satisfied."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        document = json.loads(response.content)
        document["acr_values_supported"] = ACR_VALUES
        claims = document.get("claims_supported", [])
        document["claims_supported"] = [*claims, *(c for c in ("acr", "amr") if c not in claims)]
        answer = JsonResponse(document)
        for header in ("Access-Control-Allow-Origin",):
            if header in response:
                answer[header] = response[header]
        return answer


@method_decorator(login_not_required, name="dispatch")
class Logout(RPInitiatedLogoutView):  # type: ignore[misc]
    """RP-initiated logout: ends the seuil session (and so the SSO session), revokes the
    service's tokens, and returns where the service asked, if it registered that address."""

    def do_logout(
        self,
        application: Any = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: Any = None,
    ) -> HttpResponse:
        if self.request.user.is_authenticated:
            AuditEvent.record(
                Action.SIGN_OUT, account=self.request.user, ip=client_ip(self.request)
            )
        response = super().do_logout(application, post_logout_redirect_uri, state, token_user)
        return response  # type: ignore[no-any-return]

    def get_request_application(self, id_token: Any, client_id: str | None) -> Any:
        """django-oauth-toolkit raises (a 500) on an unknown client_id: answer the error page."""
        try:
            return super().get_request_application(id_token, client_id)
        except Application.DoesNotExist:
            raise InvalidOIDCClientError() from None

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        """The confirmation names the service as the person's pages do (its English name on an
        English page), not by its OpenID Connect client's name."""
        application = context.get("application")
        if application is not None:
            context["service"] = Service.objects.filter(oidc_client=application).first()
        response = super().render_to_response(context, **kwargs)
        if application is not None:
            _allow_redirects_to(response, application.post_logout_redirect_uris)
        return response  # type: ignore[no-any-return]
