"""The pages of single sign-on: the sign-in that names the service, the authorization endpoint
with seuil's rules, and RP-initiated logout. Tokens, userinfo, discovery and JWKS are
django-oauth-toolkit's own views (seuil/sso/oidc_urls.py)."""

import base64
import binascii
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider.exceptions import InvalidOIDCClientError, OAuthToolkitError
from oauth2_provider.models import AccessToken, Application, RefreshToken
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized
from oauth2_provider.views import (
    AuthorizationView,
    ConnectDiscoveryInfoView,
    RPInitiatedLogoutView,
    TokenView,
    UserInfoView,
)
from oauthlib.oauth2.rfc6749.errors import InvalidRequestError
from oauthlib.openid.connect.core.exceptions import InteractionRequired, LoginRequired

from seuil.accounts.sessions import authentication, end_session, methods_used
from seuil.accounts.views import signin
from seuil.mfa.session import ACR_VALUES, REFEDS_MFA, satisfies_mfa
from seuil.mfa.stepup import ask_for_second_factor
from seuil.people.models import Status
from seuil.sso.grants import KNOWN_CLIENT
from seuil.sso.models import Service


def _basic_credentials(header: str) -> str:
    """What an HTTP Basic header holds once decoded (a client id and secret), or ""."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return base64.b64decode(encoded.strip(), validate=True).decode("utf-8", "replace")
    except (ValueError, binascii.Error):
        return ""


def refuse_nul(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """PostgreSQL cannot hold a NUL byte, and django-oauth-toolkit looks codes and client ids up
    as given (it catches psycopg2's ValueError, not psycopg 3's DataError): a request carrying
    one, in a parameter, a header or HTTP Basic credentials, is refused here, not with a 500."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        values = [*request.GET.values(), *request.POST.values(), *request.headers.values()]
        values.append(_basic_credentials(request.headers.get("Authorization", "")))
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


# RFC 7636 §4.2: S256 of a verifier, base64url without padding, in the verifier's alphabet.
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# When this session was asked for a fresh password (prompt=login, or max_age exceeded): until
# the person signs in again after it, no code is issued to anyone.
FRESH_LOGIN = "seuil_sso_fresh_login"


def _max_age(request: HttpRequest) -> int | None:
    value = request.GET.get("max_age", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _needs_password(request: HttpRequest) -> bool:
    """Whether this authorization needs the password typed again: prompt=login, or a max_age
    the session's sign-in is older than, unless the person signed in since it was asked."""
    signed_in = authentication(request.session)
    asked = request.session.get(FRESH_LOGIN)
    if signed_in and isinstance(asked, (int, float)) and signed_in.at.timestamp() >= asked:
        del request.session[FRESH_LOGIN]  # done: the sign-in came after the request
        return False
    if asked is not None:
        return True
    if "login" in request.GET.get("prompt", "").split():
        return True
    max_age = _max_age(request)
    if max_age is None:
        return False
    return signed_in is None or (timezone.now() - signed_in.at).total_seconds() > max_age


def _without_prompt_login(request: HttpRequest) -> str:
    """The request's address without `login` in prompt: the sign-in returns there."""
    query = request.GET.copy()
    prompt = [value for value in query.get("prompt", "").split() if value != "login"]
    if prompt:
        query["prompt"] = " ".join(prompt)
    else:
        query.pop("prompt", None)
    return f"{request.path}?{query.urlencode()}"


@method_decorator(login_not_required, name="dispatch")  # it sends strangers to its own sign-in
class Authorize(AuthorizationView):  # type: ignore[misc]
    """Authorization code with PKCE S256 (settings.OAUTH2_PROVIDER), plus seuil's rules, in this
    order: a malformed request or an unregistered redirect_uri gets an error page, never a
    redirect; a client that is no registered service is refused; a code_challenge that is no
    S256 challenge is refused; a person not signed in goes to the sign-in naming the service
    (django-oauth-toolkit answers login_required to prompt=none); prompt=login or an exceeded
    max_age asks for the password again; a status the service is not for gets a clear page and
    no code. Registered services never show a consent screen (skip_authorization). Every
    redirect to the service, errors too, carries `iss` (RFC 9207)."""

    login_url = reverse_lazy("sso:sign-in")
    http_method_names = ["get"]  # no consent form to post

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.oauth2_data: dict[str, Any] = {}
        if not request.GET.get("redirect_uri"):  # OpenID Connect Core §3.1.2.1: required
            return render(request, "sso/refused.html", {"service": None}, status=400)
        # The service and its client in one statement, whether it is for the signed-in
        # person's status with them; the validator takes the client from here (KNOWN_CLIENT).
        person = getattr(request.user, "person", None)
        service = Service.objects.for_client(
            request.GET.get("client_id", ""), status=person.status if person else None
        )
        if service is not None and service.oidc_client is not None:
            request.META[KNOWN_CLIENT] = service.oidc_client
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)  # type: ignore[no-any-return]
        if service is None or service.oidc_client is None:
            return render(request, "sso/refused.html", {"service": None}, status=403)
        if not CODE_CHALLENGE.fullmatch(credentials.get("code_challenge") or ""):
            return self._refuse(
                InvalidRequestError(
                    description="code_challenge: 43 to 128 characters of [A-Za-z0-9-._~]",
                    state=credentials.get("state"),
                ),
                credentials,
                service,
            )
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]
        if _needs_password(request):
            if "none" in request.GET.get("prompt", "").split():  # a silent check: no page
                return self._refuse(
                    LoginRequired(state=credentials.get("state")), credentials, service
                )
            request.session.setdefault(FRESH_LOGIN, timezone.now().timestamp())
            return redirect_to_login(_without_prompt_login(request), str(self.login_url))
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
        if _plain(request, service):
            return self._issue_code(request, scopes, credentials, service.oidc_client)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]

    def _issue_code(
        self, request: HttpRequest, scopes: list[str], credentials: dict[str, Any], client: Any
    ) -> HttpResponse:
        """What django-oauth-toolkit's get() does for a client that skips the consent screen,
        on the request this dispatch validated: the code, and the redirect to the service."""
        if isinstance(credentials.get("ui_locales"), list):
            credentials["ui_locales"] = " ".join(credentials["ui_locales"])
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, client)  # type: ignore[no-any-return]
        return self.redirect(uri, client)

    def _refuse(self, error: Any, credentials: dict[str, Any], service: Service) -> HttpResponse:
        refusal = OAuthToolkitError(error, redirect_uri=credentials["redirect_uri"])
        return self.error_response(refusal, application=service.oidc_client)  # type: ignore[no-any-return]

    def create_authorization_response(
        self, request: HttpRequest, scopes: str, credentials: dict[str, Any], allow: bool
    ) -> Any:
        """The code remembers the session that authorized it (seuil.sso.chains), and the
        methods it used."""
        signed_in = authentication(request.session)
        if signed_in is not None:
            credentials = {**credentials, "sign_on": signed_in.sign_on, "auth_time": signed_in.at}
        # How the person proved who they are, for the ID token's acr and amr (seuil.sso.chains).
        credentials = {**credentials, "seuil_methods": methods_used(request)}
        return super().create_authorization_response(request, scopes, credentials, allow)

    def redirect(self, redirect_to: str, application: Any) -> HttpResponse:
        """RFC 9207: the issuer on every authorization response, errors included."""
        parts = urlsplit(redirect_to)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if not any(name == "iss" for name, _value in query):
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            redirect_to = urlunsplit(parts._replace(query=urlencode([*query, ("iss", issuer)])))
        return super().redirect(redirect_to, application)  # type: ignore[no-any-return]


def _plain(request: HttpRequest, service: Service) -> bool:
    """An authorization the Authorize view answers itself: a registered service's client, which
    skips the consent screen, with none of what django-oauth-toolkit's get() handles besides
    (prompt=create or login, RFC 8707 resources)."""
    client = service.oidc_client
    prompt = set(request.GET.get("prompt", "").split())
    return bool(client and client.skip_authorization) and not (
        prompt & {"create", "login"} or "resource" in request.GET
    )


def _wants_mfa(request: HttpRequest, service: Service) -> bool:
    """The service is registered with require_mfa, or this request asks for REFEDS MFA in
    acr_values (taken as required: the profile's relying parties rely on it)."""
    return service.require_mfa or REFEDS_MFA in request.GET.get("acr_values", "").split()


@method_decorator(login_not_required, name="dispatch")
class Logout(RPInitiatedLogoutView):  # type: ignore[misc]
    """RP-initiated logout: ends the seuil session (and so the SSO session, with every CAS and
    OpenID Connect service signed in under it), revokes the service's tokens for the person the
    hint names if it is the signed-in one, and returns where the service asked, if it registered
    that address. Without a hint that matches the session, the person confirms first
    (django-oauth-toolkit's must_prompt)."""

    def do_logout(
        self,
        application: Any = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: Any = None,
    ) -> HttpResponse:
        """End this browser's session, everywhere (seuil.accounts.sessions.end_session: the
        tokens issued under it, CAS single logout), and, when the ID token hint is the signed-in
        person's, that client's other tokens for them. A hint alone, without the session it
        names, ends nothing: anyone may hold an old ID token."""
        user = self.request.user
        if user.is_authenticated:
            if application is not None and token_user is not None and token_user.pk == user.pk:
                families = RefreshToken.objects.filter(
                    user=user, application=application, revoked__isnull=True
                ).values_list("token_family", flat=True)
                for family in set(families):
                    RefreshToken.revoke_family(family)
                AccessToken.objects.filter(user=user, application=application).delete()
            end_session(self.request)
        # Django's user is now anonymous: django-oauth-toolkit only redirects.
        return super().do_logout(application, post_logout_redirect_uri, state, None)  # type: ignore[no-any-return]

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


@method_decorator(login_not_required, name="dispatch")  # services' servers, with a secret
class Token(TokenView):  # type: ignore[misc]
    """The token endpoint, in one transaction: spending the code, the ID token, the access and
    refresh tokens and the chain's family are written together (one commit, not three), and a
    second request with the same code waits for the first to commit before it revokes what
    that one issued (seuil.sso.validator.validate_code)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with transaction.atomic():
            return super().post(request, *args, **kwargs)  # type: ignore[no-any-return]

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        """django-oauth-toolkit reads the access token it has just written back, to send
        `app_authorized`; nothing in seuil listens to it, so only when something does."""
        if app_authorized.has_listeners():
            return super().authorization_flow_token_response(request, *args, **kwargs)  # type: ignore[no-any-return]
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


@method_decorator(login_not_required, name="dispatch")  # services' servers, with a token
class UserInfo(UserInfoView):  # type: ignore[misc]
    """userinfo, with the access token in the Authorization header (or a form body, RFC 6750
    §2.2) only: one in the query string would land in every access log on its way."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "access_token" in request.GET:
            error = {"error": "invalid_request", "error_description": "token in the query string"}
            return JsonResponse(error, status=400)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]


@method_decorator(login_not_required, name="dispatch")
class Discovery(ConnectDiscoveryInfoView):  # type: ignore[misc]
    """Discovery says what seuil does, no more: the code flow, ID tokens signed with RS256; and
    the authentication context classes it can say it satisfied, with the acr and amr claims."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        config = json.loads(response.content)
        config["response_types_supported"] = ["code"]
        config["id_token_signing_alg_values_supported"] = ["RS256"]
        config["acr_values_supported"] = ACR_VALUES
        claims = config.get("claims_supported", [])
        config["claims_supported"] = [*claims, *(c for c in ("acr", "amr") if c not in claims)]
        answer = JsonResponse(config)
        answer["Access-Control-Allow-Origin"] = "*"
        return answer
