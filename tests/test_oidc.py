"""OpenID Connect, driven by a library client (Authlib, verifying with joserfc) against seuil on a
live server: the code flow with PKCE, the claims, and every refusal the issue lists."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from seuil.people.models import Person
from seuil.sso.models import Service, Subject
from tests.conftest import PASSWORD
from tests.sso import Browser, Client, code_of, provider_settings, register_client


@pytest.fixture
def issuer(live_server: Any, settings: Any) -> str:
    provider_settings(settings, live_server.url)
    return str(live_server.url)


@pytest.fixture
def client(issuer: str) -> Client:
    return register_client(issuer)


@pytest.fixture
def student(make_person: Callable[..., Person]) -> Person:
    return make_person(status="etudiant", first_name="Zoé", last_name="Brontë", password=PASSWORD)


def test_discovery_names_the_issuer_and_only_s256(issuer: str) -> None:
    config = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert config["issuer"] == issuer
    assert config["authorization_endpoint"] == f"{issuer}/oidc/authorize/"
    assert config["token_endpoint"] == f"{issuer}/oidc/token/"
    assert config["userinfo_endpoint"] == f"{issuer}/oidc/userinfo/"
    assert config["jwks_uri"] == f"{issuer}/oidc/jwks/"
    assert config["end_session_endpoint"] == f"{issuer}/oidc/logout/"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert "eduperson_scoped_affiliation" in config["scopes_supported"]
    assert "token" not in config["response_types_supported"]  # no implicit flow


def test_a_library_client_signs_a_person_in_and_verifies_the_id_token(
    issuer: str, client: Client, student: Person
) -> None:
    browser = Browser(issuer)
    url, verifier, nonce = client.authorization_url()
    page = browser.sign_in_page(url)
    assert "Connexion à Espace de cours" in page.text
    redirect = browser.submit(page, login=student.account.login, password=PASSWORD)
    response = browser.sign_in_page(redirect.headers["Location"])
    assert response.headers["Location"].startswith(client.redirect_uri + "?")
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["iss"] == [issuer]  # RFC 9207

    session = client.session()
    token = session.fetch_token(
        f"{issuer}/oidc/token/", authorization_response=response.headers["Location"],
        code_verifier=verifier,
    )  # fmt: skip
    claims = client.verify_id_token(token["id_token"], nonce)
    sub = Subject.of(student.account)
    assert claims["sub"] == sub
    assert claims["email"] == student.account.mail
    userinfo = session.get(f"{issuer}/oidc/userinfo/").json()
    scope = "univ-montp3.fr"
    assert userinfo == {
        "sub": sub,
        "name": "Zoé Brontë",
        "given_name": "Zoé",
        "family_name": "Brontë",
        "preferred_username": student.account.login,
        "email": student.account.mail,
        "email_verified": True,
        "eduperson_affiliation": ["student", "member"],
        "eduperson_scoped_affiliation": [f"student@{scope}", f"member@{scope}"],
        "eduperson_principal_name": f"{student.account.login}@{scope}",
    }

    # One sign-in is enough: the next authorization goes through without a password.
    again, verifier2, _ = client.authorization_url()
    assert client.redeem(code_of(browser.authorize(again)), verifier2).status_code == 200


def test_a_service_receives_only_the_claims_it_is_registered_for(
    issuer: str, student: Person
) -> None:
    client = register_client(issuer, name="Bibliothèque", claims=["email"])
    browser = Browser(issuer)
    url, verifier, nonce = client.authorization_url()
    token = client.redeem(code_of(browser.authorize(url, student.account.login)), verifier).json()
    assert set(client.verify_id_token(token["id_token"], nonce)) >= {"sub", "email"}
    assert "name" not in client.verify_id_token(token["id_token"], nonce)
    info = httpx.get(
        f"{issuer}/oidc/userinfo/", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert set(info.json()) == {"sub", "email"}


def test_claims_follow_the_scopes_asked(issuer: str, client: Client, student: Person) -> None:
    browser = Browser(issuer)
    verifier = "v" * 50
    url, _ = client.session(scope="openid email").create_authorization_url(
        f"{issuer}/oidc/authorize/", code_verifier=verifier, nonce="n"
    )
    token = client.redeem(code_of(browser.authorize(url, student.account.login)), verifier).json()
    info = httpx.get(
        f"{issuer}/oidc/userinfo/", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert set(info.json()) == {"sub", "email", "email_verified"}


def test_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(
    issuer: str, client: Client, student: Person
) -> None:
    browser = Browser(issuer)
    url, _, _ = client.authorization_url()
    evil = url.replace("127.0.0.1%3A9", "evil.example")
    assert "evil.example" in evil
    for _signed_in in (False, True):
        response = browser.get(evil)
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert "Connexion impossible" in response.text
        code_of(browser.authorize(url, student.account.login))


def test_a_replayed_code_and_a_wrong_verifier_give_invalid_grant(
    issuer: str, client: Client, student: Person
) -> None:
    browser = Browser(issuer)
    url, verifier, _ = client.authorization_url()
    code = code_of(browser.authorize(url, student.account.login))
    assert client.redeem(code, verifier).status_code == 200
    replay = client.redeem(code, verifier)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")

    url, verifier, _ = client.authorization_url()
    wrong = client.redeem(code_of(browser.authorize(url)), verifier + "x")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")

    session = client.session()
    url, verifier, _ = client.authorization_url()
    location = browser.authorize(url).headers["Location"]
    session.fetch_token(
        f"{issuer}/oidc/token/", authorization_response=location, code_verifier=verifier
    )
    with pytest.raises(OAuthError) as replayed:
        session.fetch_token(
            f"{issuer}/oidc/token/", authorization_response=location, code_verifier=verifier
        )
    assert replayed.value.error == "invalid_grant"


def test_a_wrong_client_secret_gives_invalid_client(
    issuer: str, client: Client, student: Person
) -> None:
    browser = Browser(issuer)
    url, verifier, _ = client.authorization_url()
    code = code_of(browser.authorize(url, student.account.login))
    last = "y" if client.client_secret.endswith("x") else "x"  # a secret ending in x: 1 in 64
    response = client.redeem(code, verifier, secret=client.client_secret[:-1] + last)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert client.redeem(code, verifier).status_code == 200  # the code was not spent


@pytest.mark.parametrize(
    "challenge", [{}, {"code_challenge": "a" * 43, "code_challenge_method": "plain"}]
)
def test_a_request_without_s256_pkce_is_refused(
    issuer: str, client: Client, student: Person, challenge: dict[str, str]
) -> None:
    browser = Browser(issuer)
    browser.authorize(client.authorization_url()[0], student.account.login)
    params = {
        "response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri,
        "scope": "openid", "state": "s", **challenge,
    }  # fmt: skip
    response = browser.get(str(httpx.URL(f"{issuer}/oidc/authorize/", params=params)))
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert "code" not in query


def test_a_status_the_service_is_not_for_gets_a_clear_page_and_no_code(
    issuer: str, client: Client, make_person: Callable[..., Person]
) -> None:
    staff = make_person(status="administratif", password=PASSWORD)
    response = Browser(issuer).authorize(client.authorization_url()[0], staff.account.login)
    assert response.status_code == 403
    assert "Location" not in response.headers
    assert "Espace de cours ne vous est pas ouvert" in response.text
    assert "étudiant" in response.text


def test_in_english_the_pages_of_single_sign_on_name_the_service_in_english(
    issuer: str, client: Client, student: Person, make_person: Callable[..., Person]
) -> None:
    Service.objects.filter(name="Espace de cours").update(name_en="Courses")
    browser = Browser(issuer)
    browser.http.headers["Accept-Language"] = "en"
    page = browser.sign_in_page(client.authorization_url()[0])
    assert "<h1>Sign in to Courses</h1>" in page.text
    assert "Espace de cours" not in page.text
    code_of(browser.authorize(client.authorization_url()[0], student.account.login))
    logout = browser.get(f"/oidc/logout/?client_id={client.client_id}")
    assert "Courses asks to sign you out of the ENT." in logout.text

    staff = Browser(issuer)
    staff.http.headers["Accept-Language"] = "en"
    login = make_person(status="administratif", password=PASSWORD).account.login
    refused = staff.authorize(client.authorization_url()[0], login)
    assert refused.status_code == 403
    assert "<h1>Courses is not open to you</h1>" in refused.text


def test_in_english_a_service_without_an_english_name_keeps_its_french_one(
    issuer: str, client: Client
) -> None:
    browser = Browser(issuer)
    browser.http.headers["Accept-Language"] = "en"
    page = browser.sign_in_page(client.authorization_url()[0])
    assert "<h1>Sign in to Espace de cours</h1>" in page.text
    french = Browser(issuer).sign_in_page(client.authorization_url()[0])
    assert "<h1>Connexion à Espace de cours</h1>" in french.text


def test_an_account_never_activated_gets_no_code(
    issuer: str, client: Client, make_person: Callable[..., Person]
) -> None:
    newcomer = make_person(status="etudiant")
    response = Browser(issuer).authorize(client.authorization_url()[0], newcomer.account.login)
    assert response.status_code == 200  # the sign-in page again, with its error
    assert 'name="password"' in response.text


def test_an_account_closed_while_signed_in_gets_nothing_more(
    issuer: str, client: Client, student: Person
) -> None:
    browser = Browser(issuer)
    url, verifier, _ = client.authorization_url()
    code = code_of(browser.authorize(url, student.account.login))
    token = client.redeem(code, verifier).json()
    pending_url, pending_verifier, _ = client.authorization_url()
    pending = code_of(browser.authorize(pending_url))

    student.account.locked_at = timezone.now()
    student.account.save()
    # Its session has ended: the next authorization asks for a password again.
    response = browser.sign_in_page(client.authorization_url()[0])
    assert 'name="password"' in response.text
    # A code obtained before is not redeemed, and the tokens no longer open userinfo.
    refused = client.redeem(pending, pending_verifier)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    info = httpx.get(
        f"{issuer}/oidc/userinfo/", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert info.status_code == 401


def test_an_account_that_expires_while_signed_in_gets_no_code(
    issuer: str, client: Client, make_person: Callable[..., Person], settings: Any
) -> None:
    today = timezone.localdate()
    person = make_person(status="etudiant", password=PASSWORD, start_date=date(2020, 9, 1),
                         end_date=today - timedelta(days=settings.SEUIL_GRACE_DAYS))  # fmt: skip
    browser = Browser(issuer)
    code_of(browser.authorize(client.authorization_url()[0], person.account.login))
    Person.objects.filter(pk=person.pk).update(
        end_date=today - timedelta(days=settings.SEUIL_GRACE_DAYS + 1)
    )
    response = browser.sign_in_page(client.authorization_url()[0])
    assert response.status_code == 200
    assert 'name="password"' in response.text


def test_rp_initiated_logout_ends_the_session_and_returns_where_the_service_asked(
    issuer: str, client: Client, student: Person
) -> None:
    browser = Browser(issuer)
    url, verifier, _ = client.authorization_url()
    token = client.redeem(code_of(browser.authorize(url, student.account.login)), verifier).json()
    evil = browser.get(f"{issuer}/oidc/logout/?" + str(httpx.QueryParams(
        id_token_hint=token["id_token"], post_logout_redirect_uri="https://evil.example/")))  # fmt: skip
    assert evil.status_code == 400
    assert "Location" not in evil.headers
    response = browser.get(f"{issuer}/oidc/logout/?" + str(httpx.QueryParams(
        id_token_hint=token["id_token"], post_logout_redirect_uri="http://127.0.0.1:9/au-revoir", state="x")))  # fmt: skip
    assert response.headers["Location"] == "http://127.0.0.1:9/au-revoir?state=x"
    assert (
        browser.get("/mon-ent/").headers["Location"].startswith("/gestion-de-compte/se-connecter/")
    )
    again = browser.sign_in_page(client.authorization_url()[0])
    assert 'name="password"' in again.text


def test_signing_out_of_seuil_ends_the_sso_session(
    issuer: str, client: Client, student: Person
) -> None:
    browser = Browser(issuer)
    code_of(browser.authorize(client.authorization_url()[0], student.account.login))
    assert browser.sign_out().status_code == 302
    assert 'name="password"' in browser.sign_in_page(client.authorization_url()[0]).text


def test_tokens_are_kept_as_digests_and_refresh_tokens_rotate(
    issuer: str, client: Client, student: Person
) -> None:
    browser = Browser(issuer)
    url, verifier, _ = client.authorization_url()
    token = client.redeem(code_of(browser.authorize(url, student.account.login)), verifier).json()
    stored = AccessToken.objects.get()
    assert token["access_token"] not in (stored.token, stored.token_checksum)
    assert RefreshToken.objects.get().token != token["refresh_token"]

    def refresh(value: str) -> httpx.Response:
        return httpx.post(f"{issuer}/oidc/token/", auth=(client.client_id, client.client_secret),
                          data={"grant_type": "refresh_token", "refresh_token": value})  # fmt: skip

    renewed = refresh(token["refresh_token"])
    assert renewed.status_code == 200
    assert renewed.json()["refresh_token"] != token["refresh_token"]
    assert refresh(token["refresh_token"]).json()["error"] == "invalid_grant"
    # Reuse of a spent refresh token revokes its whole family.
    assert refresh(renewed.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_silent_request_without_a_session_gets_login_required(
    issuer: str, client: Client
) -> None:
    url, _, _ = client.authorization_url(prompt="none")
    response = Browser(issuer).get(url)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert response.headers["Location"].startswith(client.redirect_uri)
    assert query["error"] == ["login_required"]
    assert "code" not in query
