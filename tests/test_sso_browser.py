"""The journey the issue is done by: in Chromium, from "Mon ENT" to a page that Apache protects
with mod_auth_openidc, signed in without a second password, then through logout."""

import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from seuil.people.models import Person
from seuil.sso.models import DEFAULT_CLAIMS, Service
from tests.apache import Apache, running_apache
from tests.conftest import PASSWORD, free_port
from tests.sso import provider_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What a university puts in front of an application that knows nothing of seuil.
OPENIDC = """
OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {client_id}
OIDCClientSecret {client_secret}
OIDCRedirectURI http://127.0.0.2:{{port}}/cgi/whoami/redirect_uri
OIDCCryptoPassphrase {passphrase}
OIDCScope "openid profile email eduperson_affiliation"
OIDCPKCEMethod S256
OIDCRemoteUserClaim preferred_username
OIDCProviderTokenEndpointAuth client_secret_basic
<Location /cgi/whoami>
  AuthType openid-connect
  Require valid-user
</Location>
"""


@pytest.fixture
def course_site(live_server: Any, settings: Any) -> Iterator[Apache]:
    """The course site: an application behind Apache and mod_auth_openidc, registered as IT
    would, with its link in Mon ENT."""
    provider_settings(settings, live_server.url)
    port = free_port("127.0.0.2")
    site = f"http://127.0.0.2:{port}"
    done = Service.objects.register(
        name="Espace de cours",
        description="Les cours en ligne.",
        url=f"{site}/cgi/whoami",
        theme="pedagogie",
        statuses=["etudiant", "enseignant"],
        redirect_uris=[f"{site}/cgi/whoami/redirect_uri"],
        post_logout_uris=[f"{site}/au-revoir.html"],
        claims=[*DEFAULT_CLAIMS, "eduperson_affiliation"],
    )
    body = OPENIDC.format(
        issuer=live_server.url,
        client_id=done.client_id,
        client_secret=done.client_secret,
        passphrase=secrets.token_hex(16),
    )
    with running_apache(body, modules=["auth_openidc"], port=port) as apache:
        (apache.root / "htdocs" / "au-revoir.html").write_text(
            '<!doctype html><meta charset="utf-8"><title>Au revoir</title><p>Vous êtes déconnecté du service.'
        )
        yield apache


def test_from_mon_ent_to_an_oidc_service_signed_in_then_logged_out(
    page: Page, live_server: Any, course_site: Apache, make_person: Callable[..., Person]
) -> None:
    student = make_person(
        status="etudiant", first_name="Zoé", last_name="Brontë", password=PASSWORD
    )
    login = student.account.login
    page.goto(live_server.url + "/gestion-de-compte/se-connecter/")
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Mon ENT")).to_be_visible()

    # One click, no second password: mod_auth_openidc and seuil settle it between them.
    page.get_by_role("link", name="Espace de cours").click()
    page.wait_for_url(f"{course_site.url}/cgi/whoami")
    text = page.locator("body").inner_text()
    assert f"REMOTE_USER={login}" in text, course_site.log()
    assert f"OIDC_CLAIM_email={student.account.mail}" in text
    assert "OIDC_CLAIM_given_name=Zoé" in text
    assert "OIDC_CLAIM_eduperson_affiliation=student,member" in text

    # The service's logout ends the seuil session too, and comes back to the service.
    goodbye = f"{course_site.url}/au-revoir.html"
    page.goto(f"{course_site.url}/cgi/whoami/redirect_uri?logout={quote(goodbye, safe='')}")
    page.wait_for_url(goodbye)
    expect(page.get_by_text("Vous êtes déconnecté du service.")).to_be_visible()
    page.goto(live_server.url + "/mon-ent/")
    assert "/gestion-de-compte/se-connecter/" in page.url

    # The service asks again, and seuil's page names it.
    page.goto(f"{course_site.url}/cgi/whoami")
    expect(page.get_by_role("heading", name="Connexion à Espace de cours")).to_be_visible()
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{course_site.url}/cgi/whoami")
    assert f"REMOTE_USER={login}" in page.locator("body").inner_text()
