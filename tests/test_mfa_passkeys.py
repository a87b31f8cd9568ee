"""Passkeys in Chromium, through the DevTools protocol's virtual authenticator: enrolment from
Sécurité, sign-in with it, a second passkey, removal; an authenticator that does not verify its
user is refused, by the browser and, when the options are tampered with, by the server."""

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.module_loading import import_string
from playwright.sync_api import CDPSession, Page, Route, expect

from seuil.accounts.sessions import METHODS
from seuil.audit.models import AuditEvent
from seuil.mfa.models import Passkey
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.SEUIL_BASE_URL = live_server.url  # the relying party: localhost
    return str(live_server.url)


@pytest.fixture
def devtools(page: Page) -> CDPSession:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    return cdp


def authenticator(cdp: CDPSession, *, verifies: bool = True) -> str:
    """A platform authenticator (ctap2, internal) holding resident keys; `verifies`: whether it
    can verify its user (a fingerprint, a PIN)."""
    answer = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": verifies,
                "isUserVerified": verifies,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return str(answer["authenticatorId"])


def sign_in(page: Page, site: str, login: str = "jdupont") -> None:
    page.goto(site + "/gestion-de-compte/se-connecter/")
    page.locator("#id_login").fill(login)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def add_passkey(page: Page, site: str, name: str) -> None:
    page.goto(site + "/gestion-de-compte/securite/")
    page.get_by_label("Nom de la clé d'accès").fill(name)
    page.get_by_role("button", name="Ajouter une clé d'accès").click()


def test_a_person_enrols_passkeys_signs_in_with_one_and_removes_one(
    page: Page, site: str, devtools: CDPSession, jean: Person
) -> None:
    phone = authenticator(devtools)
    sign_in(page, site)
    add_passkey(page, site, "Téléphone")
    expect(page.get_by_text("Retirer « Téléphone »")).to_be_visible()
    first = Passkey.objects.get(account=jean.account)
    assert first.name == "Téléphone"
    assert AuditEvent.objects.filter(action="mfa-added", account=jean.account).exists()

    # A second passkey, on another authenticator (a security key).
    devtools.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": phone})
    key = authenticator(devtools)
    add_passkey(page, site, "Clé USB")
    expect(page.get_by_text("Retirer « Clé USB »")).to_be_visible()
    assert Passkey.objects.filter(account=jean.account).count() == 2

    # Sign out, then in: the password, then the passkey.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    sign_in(page, site)
    assert page.url.endswith("/gestion-de-compte/second-facteur/")
    page.get_by_role("button", name="Utiliser ma clé d'accès").click()
    page.wait_for_url(site + "/mon-ent/")
    used = Passkey.objects.get(name="Clé USB")
    assert used.last_used_at is not None
    assert used.sign_count > 0

    # Removal.
    page.goto(site + "/gestion-de-compte/securite/")
    page.get_by_role("button", name="Retirer « Téléphone »").click()
    page.wait_for_load_state()
    assert list(Passkey.objects.values_list("name", flat=True)) == ["Clé USB"]
    del key


def test_an_authenticator_that_cannot_verify_its_user_is_refused(
    page: Page, site: str, devtools: CDPSession, jean: Person
) -> None:
    authenticator(devtools, verifies=False)
    sign_in(page, site)
    add_passkey(page, site, "Sans verrou")
    expect(page.locator("#passkey-error")).to_be_visible()
    assert not Passkey.objects.exists()


def test_the_server_refuses_a_passkey_made_without_user_verification(
    page: Page, site: str, devtools: CDPSession, jean: Person
) -> None:
    """The options are tampered with on their way to the browser (userVerification
    discouraged): the authenticator then signs without verifying, and the server still refuses."""

    def discouraged(route: Route) -> None:
        response = route.fetch()
        options = response.json()
        options["authenticatorSelection"]["userVerification"] = "discouraged"
        route.fulfill(response=response, body=json.dumps(options))

    authenticator(devtools, verifies=False)
    page.route("**/securite/cles/options/", discouraged)
    sign_in(page, site)
    add_passkey(page, site, "Sans verrou")
    expect(page.locator("#passkey-error")).to_contain_text("pas pu être vérifiée")
    assert not Passkey.objects.exists()


def test_the_session_records_the_passkey_as_a_key_method(
    page: Page, site: str, devtools: CDPSession, jean: Person
) -> None:
    authenticator(devtools)
    sign_in(page, site)
    add_passkey(page, site, "Téléphone")
    expect(page.get_by_text("Retirer « Téléphone »")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(page, site)
    page.get_by_role("button", name="Utiliser ma clé d'accès").click()
    page.wait_for_url(site + "/mon-ent/")
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(cookie["value"])
    methods = store[METHODS]
    assert "pwd" in methods
    assert {"hwk", "swk"} & set(methods)
