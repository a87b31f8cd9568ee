"""The OpenID Connect demonstration service: a confidential client of seuil, written with Authlib
as any Django site would be. It asks for the code flow with PKCE, checks the ID token (signature
from the JWKS, issuer, audience, nonce), and reads userinfo on every page, so that tokens seuil
no longer honours sign it out. Its sign-out is OpenID Connect's RP-initiated logout."""

import logging
import os
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from seuil.demo.services.pages import I18N_URL, page

log = logging.getLogger(__name__)
SCOPE = "openid profile email eduperson_affiliation"
oauth = OAuth()
oauth.register(
    "seuil",
    client_id=os.environ.get("SEUIL_DEMO_CLIENT_ID", ""),
    client_secret=os.environ.get("SEUIL_DEMO_CLIENT_SECRET", ""),
    server_metadata_url=f"{settings.SEUIL_BASE_URL}/.well-known/openid-configuration",
    client_kwargs={"scope": SCOPE, "code_challenge_method": "S256"},
)
TOKEN = "demo_oidc_token"  # noqa: S105 -- the session key that holds it


def _absolute(request: HttpRequest, name: str) -> str:
    return request.build_absolute_uri(reverse(name))


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    token: dict[str, Any] | None = request.session.get(TOKEN)
    if token is None:
        return redirect("sign-in")
    try:
        userinfo = oauth.seuil.userinfo(token=token)
    except requests.HTTPError as error:
        # seuil refuses the access token: revoked, expired, or the account closed.
        log.info("userinfo refused: %s", error)
        request.session.flush()
        return page(
            request,
            "demo/message.html",
            heading=_("seuil ne reconnaît plus cette connexion"),
            lines=[
                _(
                    "seuil a refusé le jeton d'accès de ce service : la connexion a pris fin "
                    "(déconnexion, mot de passe changé, compte fermé ou jeton expiré). Ce service "
                    "vous a donc déconnecté."
                )
            ],
        )
    claims = dict(token.get("userinfo") or {})
    return page(
        request,
        "demo/service.html",
        who=userinfo.get("name") or claims.get("name") or userinfo.get("sub"),
        login=userinfo.get("preferred_username") or claims.get("sub"),
        issuer=claims.get("iss", settings.SEUIL_BASE_URL),
        received=[
            (_("Le jeton d'identité (ID token), vérifié"), claims),
            (_("La réponse de userinfo, lue à l'instant"), dict(userinfo)),
        ],
        note=_(
            "Ce service lit userinfo à chaque page : quand vous vous déconnectez de seuil, seuil "
            "révoque les jetons de cette connexion, et ce service vous déconnecte à la page "
            "suivante."
        ),
    )


@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    return oauth.seuil.authorize_redirect(request, _absolute(request, "callback"))  # type: ignore[no-any-return]


@never_cache
def callback(request: HttpRequest) -> HttpResponse:
    try:
        token = oauth.seuil.authorize_access_token(request)
    except OAuthError as error:
        return page(
            request,
            "demo/message.html",
            status=403,
            heading=_("seuil ne vous a pas connecté à ce service"),
            lines=[f"{error.error}: {error.description or ''}".strip(" :")],
        )
    request.session.cycle_key()
    request.session[TOKEN] = dict(token)
    return redirect("home")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Forget the session here, then RP-initiated logout at seuil, which ends its session and
    the CAS services', and comes back to the goodbye page."""
    token = request.session.get(TOKEN) or {}
    request.session.flush()
    return oauth.seuil.logout_redirect(  # type: ignore[no-any-return]
        request,
        post_logout_redirect_uri=_absolute(request, "goodbye"),
        id_token_hint=token.get("id_token"),
        client_id=oauth.seuil.client_id,
    )


@never_cache
def goodbye(request: HttpRequest) -> HttpResponse:
    try:
        oauth.seuil.validate_logout_response(request)  # the state it sent seuil, back
    except OAuthError:
        log.info("a goodbye without the state of a sign-out of this browser")
    return page(
        request,
        "demo/message.html",
        heading=_("Vous êtes déconnecté"),
        lines=[
            _(
                "Ce service a oublié votre session, puis seuil a mis fin à la sienne et à celle "
                "des services CAS qu'il vous avait ouverts."
            )
        ],
    )


urlpatterns = [
    path("", home, name="home"),
    path("connexion/", sign_in, name="sign-in"),
    path("retour/", callback, name="callback"),
    path("deconnexion/", sign_out, name="sign-out"),
    path("au-revoir/", goodbye, name="goodbye"),
    I18N_URL,
]
