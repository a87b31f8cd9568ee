"""Shibboleth SP 3.4, the federation's own SP, signs a person in through seuil in Chromium: the
sign-in page naming the service, the attributes it shows (REMOTE_USER is the eppn; the persistent
ID and pairwise-id stable across sign-ins), the session shared with an OpenID Connect service,
and SP-initiated single logout, after which the SP asks again; and the back channel: HR's lock
ends the SP's session through its SOAP SingleLogoutService, with no browser at seuil."""

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from seuil.audit.models import Action, AuditEvent, Outcome
from seuil.people.models import Person
from seuil.saml import idp, metadata
from seuil.saml.models import BackChannelLogout
from tests.apache import Apache
from tests.conftest import PASSWORD
from tests.saml import aggregate
from tests.shibboleth import ShibbolethSP, running_shibboleth_sp
from tests.test_sso_browser import course_site  # noqa: F401 -- a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def forget_idp() -> None:
    metadata.document.cache_clear()
    idp.base_config.cache_clear()
    idp._template.cache_clear()
    idp._servers.clear()


@pytest.fixture
def seuil_idp(live_server: Any, settings: Any) -> Iterator[str]:
    """seuil's IdP at the live server's address, as SEUIL_BASE_URL makes it in production."""
    settings.SEUIL_BASE_URL = live_server.url
    settings.SEUIL_SAML_ENTITY_ID = f"{live_server.url}/saml/idp"
    forget_idp()
    yield settings.SEUIL_SAML_ENTITY_ID
    forget_idp()


@pytest.fixture
def library(seuil_idp: str) -> Iterator[ShibbolethSP]:
    """ "Bibliothèque": an application behind Shibboleth SP, registered from the metadata its
    handler publishes; it trusts seuil through the test federation's signed aggregate."""
    until = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    federation = aggregate([metadata.document().decode()], valid_until=until)
    with running_shibboleth_sp(idp_entity_id=seuil_idp, federation=federation) as sp:
        call_command(
            "register_service", "Bibliothèque", "--url", f"{sp.url}/secure/whoami",
            "--theme", "documentation", "--for", "administratif,enseignant",
            "--claims", "name,given_name,family_name,email,eduperson_principal_name,eduperson_scoped_affiliation",
            "--saml-sp", f"{sp.url}/Shibboleth.sso/Metadata", stdout=StringIO(),
        )  # fmt: skip
        yield sp


def sign_in(page: Page, login: str) -> None:
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def shown(page: Page, sp: ShibbolethSP) -> dict[str, str]:
    # The auto-posting page, Shibboleth's ACS and its redirect follow each other: wait for the
    # last page rather than for one navigation.
    expect(page).to_have_url(f"{sp.url}/secure/whoami", timeout=15_000)
    expect(page.locator("body")).to_contain_text("REMOTE_USER=")
    text = page.locator("body").inner_text()
    return dict(re.findall(r"^([\w-]+)=(.*)$", text, re.M))


def test_shibboleth_sp_signs_in_through_seuil_and_logs_out(
    page: Page,
    library: ShibbolethSP,
    jean: Person,
    course_site: Apache,  # noqa: F811 -- the fixture imported above
) -> None:
    login = jean.account.login
    page.goto(f"{library.url}/secure/whoami")
    expect(page.get_by_role("heading", name="Connexion à Bibliothèque")).to_be_visible()
    sign_in(page, login)
    first = shown(page, library)
    assert first["REMOTE_USER"] == f"{login}@univ-montp3.fr", library.log()[-3000:]
    assert first["eppn"] == f"{login}@univ-montp3.fr"
    assert "staff@univ-montp3.fr" in first["affiliation"]
    assert first["mail"] == jean.account.mail
    assert first["pairwise-id"].endswith("@univ-montp3.fr")
    assert first["persistent-id"].endswith(first["pairwise-id"].split("@")[0])

    # A new Shibboleth session, on the same seuil session: no password, the same identifiers.
    page.context.clear_cookies(domain="127.0.0.2")
    page.goto(f"{library.url}/secure/whoami")
    again = shown(page, library)
    assert (again["pairwise-id"], again["persistent-id"]) == (
        first["pairwise-id"],
        first["persistent-id"],
    )

    # The OpenID Connect service, on the same session: no password either.
    jean.status = "enseignant"
    jean.save()
    page.goto(f"{course_site.url}/cgi/whoami")
    expect(page.locator("body")).to_contain_text(re.compile(r"REMOTE_USER=\S+"))

    # SP-initiated logout ends seuil's session: the SP then asks for the password again.
    page.goto(f"{library.url}/Shibboleth.sso/Logout")
    expect(page.locator("body")).to_contain_text("Global Logout")  # Shibboleth: both ended
    page.goto(f"{library.url}/secure/whoami")
    expect(page.get_by_role("heading", name="Connexion à Bibliothèque")).to_be_visible()


def test_a_locked_account_is_signed_out_of_shibboleth_over_soap(
    page: Page, library: ShibbolethSP, jean: Person
) -> None:
    """No browser comes to seuil's sign-out page: HR locks the account, and Shibboleth SP's
    session ends all the same, through its SOAP SingleLogoutService (/Shibboleth.sso/SLO/SOAP)."""
    page.goto(f"{library.url}/secure/whoami")
    sign_in(page, jean.account.login)
    assert shown(page, library)["REMOTE_USER"] == f"{jean.account.login}@univ-montp3.fr"
    page.goto(f"{library.url}/secure/whoami")  # the SP's own session: no trip to seuil
    expect(page).to_have_url(f"{library.url}/secure/whoami")
    expect(page.locator("body")).to_contain_text("REMOTE_USER=")

    jean.account.lock("compte compromis")

    event = told(library)
    assert event.outcome == Outcome.SUCCESS, (event.detail, library.log()[-3000:])
    assert event.detail["result"] == "urn:oasis:names:tc:SAML:2.0:status:Success"
    page.goto(f"{library.url}/secure/whoami")
    expect(page.get_by_role("heading", name="Connexion à Bibliothèque")).to_be_visible()


def told(sp: ShibbolethSP) -> AuditEvent:
    """The audit record of the SOAP logout to `sp`, once the background sending made it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = AuditEvent.objects.filter(action=Action.SAML_LOGOUT).first()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no SOAP logout recorded; {BackChannelLogout.objects.values()}")
