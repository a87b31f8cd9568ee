"""What the OpenID Connect tests share: a provider on a live server, a registered service, a
person's browser (httpx, with cookies) and a service's client (Authlib, verifying with joserfc)."""

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from seuil.sso.models import Service
from tests.conftest import PASSWORD

ALL_CLAIMS = [
    "name", "given_name", "family_name", "preferred_username", "email", "email_verified",
    "eduperson_affiliation", "eduperson_scoped_affiliation", "eduperson_principal_name",
]  # fmt: skip
SCOPE = "openid profile email eduperson_affiliation eduperson_scoped_affiliation eduperson_principal_name"


def provider_settings(settings: Any, base_url: str) -> None:
    """Make `base_url` (a live server) the issuer, as SEUIL_BASE_URL does in production."""
    settings.SEUIL_BASE_URL = base_url
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": base_url}


@dataclass
class Client:
    """A registered service, as its server sees seuil."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    base: str = ""  # the host the service talks to, when not the issuer's (two hosts, one name)

    @property
    def host(self) -> str:
        return self.base or self.issuer

    def session(self, **kwargs: Any) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=kwargs.pop("scope", SCOPE),
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            **kwargs,
        )

    def authorization_url(self, **params: str) -> tuple[str, str, str]:
        """(url, code_verifier, nonce) of a fresh authorization request."""
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url, _ = self.session().create_authorization_url(
            f"{self.host}/oidc/authorize/", code_verifier=verifier, nonce=nonce, **params
        )
        return url, verifier, nonce

    def redeem(self, code: str, verifier: str, secret: str | None = None) -> httpx.Response:
        """The token request, as a confidential client sends it (HTTP Basic)."""
        return httpx.post(
            f"{self.host}/oidc/token/",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(self.client_id, secret or self.client_secret),
            timeout=10,
        )

    def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """Verify the signature against the published JWKS, then iss, aud, nonce and exp."""
        jwks = httpx.get(f"{self.host}/oidc/jwks/", timeout=10).json()
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            nonce={"essential": True, "value": nonce},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(token.claims)
        return dict(token.claims)


def register_client(
    issuer: str,
    *,
    name: str = "Espace de cours",
    statuses: tuple[str, ...] = ("etudiant", "enseignant", "enseignant-chercheur"),
    claims: list[str] | None = None,
    redirect_uri: str = "http://127.0.0.1:9/oidc/callback",
    post_logout_uri: str = "http://127.0.0.1:9/au-revoir",
) -> Client:
    done = Service.objects.register(
        name=name,
        url="http://127.0.0.1:9/",
        theme="pedagogie",
        statuses=list(statuses),
        redirect_uris=[redirect_uri],
        post_logout_uris=[post_logout_uri],
        claims=ALL_CLAIMS if claims is None else claims,
    )
    return Client(issuer, done.client_id, done.client_secret, redirect_uri)


class Browser:
    """A person's browser: cookies, and every redirect looked at before it is followed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=10)

    def get(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def sign_in_page(self, url: str) -> httpx.Response:
        """Follow redirects within seuil from `url` until a page or a redirect elsewhere."""
        response = self.http.get(url)
        origin = f"{response.url.scheme}://{response.url.netloc.decode()}"
        while response.is_redirect and _same_origin(response.headers["Location"], origin):
            response = self.http.get(httpx.URL(origin).join(response.headers["Location"]))
        return response

    def sign_out(self) -> httpx.Response:
        """Press "Se déconnecter" in the page's header."""
        page = self.http.get("/mon-ent/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text
        return self.http.post(
            "/gestion-de-compte/se-deconnecter/", data={"csrfmiddlewaretoken": token.group(1)}
        )

    def submit(self, page: httpx.Response, **data: str) -> httpx.Response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text
        found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)
        fields = {name: html.unescape(value) for name, value in found}
        fields.pop("csrfmiddlewaretoken", None)
        return self.http.post(
            str(page.url), data={**fields, "csrfmiddlewaretoken": token.group(1), **data}
        )

    def authorize(self, url: str, login: str | None = None) -> httpx.Response:
        """Go to the authorization URL, sign in with `login` if asked to, and return seuil's
        last answer: a redirect to the service, or a page."""
        response = self.sign_in_page(url)
        if login and response.status_code == 200 and 'name="password"' in response.text:
            response = self.submit(response, login=login, password=PASSWORD)
            if response.is_redirect:
                response = self.sign_in_page(str(response.url.join(response.headers["Location"])))
        return response


def _same_origin(location: str, base_url: str) -> bool:
    return location.startswith("/") or location.startswith(base_url)


def code_of(response: httpx.Response) -> str:
    """The code in a redirect to the service; fails if there is none."""
    assert response.status_code == 302, (response.status_code, response.text[:500])
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert "code" in query, response.headers["Location"]
    return query["code"][0]


def pkce() -> tuple[str, str]:
    """(verifier, its S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def basic(client: Client) -> str:
    pair = f"{client.client_id}:{client.client_secret}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def authorize_in(browser: Any, client: Client, **params: str) -> tuple[Any, str]:
    """An authorization request from a Django test client signed in to seuil: (the answer,
    the PKCE verifier)."""
    verifier, challenge = pkce()
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": "openid profile",
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    return browser.get("/oidc/authorize/", query), verifier


def redeem_in(browser: Any, client: Client, code: str, verifier: str, **data: str) -> Any:
    """The token request for a code, from the service's server (HTTP Basic)."""
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": client.redirect_uri,
        "code_verifier": verifier,
        **data,
    }
    body = {name: value for name, value in body.items() if value is not None}
    return browser.post("/oidc/token/", body, HTTP_AUTHORIZATION=basic(client))


def refresh_in(browser: Any, client: Client, refresh_token: str) -> Any:
    return browser.post(
        "/oidc/token/",
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        HTTP_AUTHORIZATION=basic(client),
    )


def tokens_in(browser: Any, client: Client, **params: str) -> dict[str, Any]:
    """The tokens a service gets for the browser's signed-in person."""
    answer, verifier = authorize_in(browser, client, **params)
    redeemed = redeem_in(browser, client, code_of_location(answer["Location"]), verifier)
    assert redeemed.status_code == 200, redeemed.content
    return dict(redeemed.json())


def code_of_location(location: str) -> str:
    query = parse_qs(urlsplit(location).query)
    assert "code" in query, location
    return query["code"][0]


def userinfo_in(browser: Any, access_token: str) -> Any:
    return browser.get("/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")
