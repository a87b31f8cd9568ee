"""The second factor over OpenID Connect, checked by a relying-party library (Authlib, with
joserfc verifying the ID token): acr and amr, acr_values, a service registered with
require_mfa, step-up without a password, and the page for a person with no factor."""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest

from seuil.mfa.models import TotpDevice
from seuil.mfa.session import REFEDS_MFA, REFEDS_SFA
from seuil.people.models import Person
from seuil.sso.models import Service
from tests.conftest import PASSWORD
from tests.sso import Browser, Client, provider_settings, register_client

ENROL = "/gestion-de-compte/securite/application/"


@pytest.fixture
def issuer(live_server: Any, settings: Any) -> str:
    provider_settings(settings, live_server.url)
    return str(live_server.url)


@pytest.fixture
def student(make_person: Callable[..., Person]) -> Person:
    return make_person(status="etudiant", first_name="Zoé", last_name="Brontë", password=PASSWORD)


def enrol(browser: Browser) -> pyotp.TOTP:
    """Add a TOTP application from Sécurité in this (signed-in) browser."""
    page = browser.get(ENROL)
    match = re.search(r'id="totp-key" class="key">([A-Z2-7 ]+)<', page.text)
    assert match, page.text[:500]
    totp = pyotp.TOTP(match.group(1).replace(" ", ""))
    assert browser.submit(page, code=totp.now()).status_code == 200
    return totp


def signed_in(issuer: str, login: str) -> Browser:
    browser = Browser(issuer)
    page = browser.get("/gestion-de-compte/se-connecter/")
    answer = browser.submit(page, login=login, password=PASSWORD)
    assert answer.status_code == 302
    return browser


def tokens(client: Client, browser_answer: httpx.Response, verifier: str) -> dict[str, Any]:
    session = client.session()
    return dict(
        session.fetch_token(
            f"{client.issuer}/oidc/token/",
            authorization_response=browser_answer.headers["Location"],
            code_verifier=verifier,
        )
    )


def test_discovery_lists_the_acr_values_and_the_claims(issuer: str) -> None:
    config = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert REFEDS_MFA in config["acr_values_supported"]
    assert {"acr", "amr"} <= set(config["claims_supported"])


def test_a_password_alone_says_pwd_and_the_single_factor_profile(
    issuer: str, student: Person
) -> None:
    client = register_client(issuer)
    browser = Browser(issuer)
    url, verifier, nonce = client.authorization_url()
    answer = browser.authorize(url, login=student.account.login)
    claims = client.verify_id_token(tokens(client, answer, verifier)["id_token"], nonce)
    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == REFEDS_SFA


def test_a_require_mfa_service_gets_a_code_only_after_the_second_factor(
    issuer: str, student: Person
) -> None:
    client = register_client(issuer)
    Service.objects.filter(name="Espace de cours").update(require_mfa=True)
    setup = signed_in(issuer, student.account.login)
    totp = enrol(setup)
    TotpDevice.objects.update(last_step=0)

    browser = Browser(issuer)
    url, verifier, nonce = client.authorization_url()
    page = browser.sign_in_page(url)
    after_password = browser.submit(page, login=student.account.login, password=PASSWORD)
    assert after_password.headers["Location"] == "/gestion-de-compte/second-facteur/"
    second = browser.get(after_password.headers["Location"])
    assert "Second facteur" in second.text
    answer = browser.submit(second, code=totp.now())
    final = browser.sign_in_page(str(answer.url.join(answer.headers["Location"])))
    claims = client.verify_id_token(tokens(client, final, verifier)["id_token"], nonce)
    assert claims["acr"] == REFEDS_MFA
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_step_up_asks_for_the_factor_not_the_password(issuer: str, student: Person) -> None:
    """A session opened with a password alone (before the factor was added elsewhere) meets a
    service that asks for REFEDS MFA in acr_values: the factor, then the code, no password."""
    client = register_client(issuer)
    browser = signed_in(issuer, student.account.login)
    totp = enrol(signed_in(issuer, student.account.login))
    TotpDevice.objects.update(last_step=0)
    url, verifier, nonce = client.authorization_url(acr_values=REFEDS_MFA)
    page = browser.sign_in_page(url)
    assert 'name="password"' not in page.text
    assert "sans ressaisir votre mot de passe" in page.text
    answer = browser.submit(page, code=totp.now())
    final = browser.sign_in_page(str(answer.url.join(answer.headers["Location"])))
    claims = client.verify_id_token(tokens(client, final, verifier)["id_token"], nonce)
    assert claims["acr"] == REFEDS_MFA
    assert "otp" in claims["amr"]


def test_a_person_without_a_factor_is_told_how_to_add_one(issuer: str, student: Person) -> None:
    client = register_client(issuer)
    Service.objects.filter(name="Espace de cours").update(require_mfa=True)
    browser = signed_in(issuer, student.account.login)
    url, _verifier, _nonce = client.authorization_url()
    page = browser.sign_in_page(url)
    assert page.status_code == 403
    assert "Ajouter un second facteur" in page.text


def test_a_silent_request_that_needs_a_factor_gets_interaction_required(
    issuer: str, student: Person
) -> None:
    client = register_client(issuer)
    browser = signed_in(issuer, student.account.login)
    url, _verifier, _nonce = client.authorization_url(acr_values=REFEDS_MFA, prompt="none")
    answer = browser.get(url)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["interaction_required"]
    assert "code" not in query
