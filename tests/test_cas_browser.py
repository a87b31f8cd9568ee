"""The journey the issue is done by: in Chromium, a service behind Apache and mod_auth_cas shares
seuil's sign-in and its sign-out."""

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from seuil.people.models import Person
from tests.apache import Apache, running_apache
from tests.cas import register_cas
from tests.conftest import PASSWORD, free_port
from tests.test_accessibility import audited, violations  # noqa: F401 -- a fixture
from tests.test_sso_browser import course_site  # noqa: F401 -- a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What a university puts in front of a phpCAS-era application. The cache folder must exist when
# Apache starts, and be writable by its children (www-data when run as root).
AUTH_CAS = """
CASCookiePath {cache}/
CASLoginURL {seuil}/cas/login
CASValidateURL {seuil}/cas/p3/serviceValidate
CASVersion 2
CASSSOEnabled On
CASAttributePrefix CAS-
<Location /cgi/whoami>
  AuthType CAS
  CASAuthNHeader CAS-User
  Require valid-user
</Location>
"""


@pytest.fixture
def scolarite(live_server: Any) -> Iterator[Apache]:
    """ "Scolarité": an application behind Apache and mod_auth_cas, registered for CAS."""
    port = free_port("127.0.0.2")
    site = f"http://127.0.0.2:{port}"
    register_cas("Scolarité", f"{site}/", statuses=("administratif", "enseignant", "etudiant"))
    cache = Path(tempfile.mkdtemp(prefix="seuil-cas-cache-"))
    cache.chmod(0o777)  # a throw-away folder for the www-data children of Apache
    body = AUTH_CAS.format(seuil=live_server.url, cache=cache)
    try:
        with running_apache(body, modules=["auth_cas"], port=port) as apache:
            yield apache
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def asks_for_a_password_again(page: Page, scolarite: Apache) -> None:
    """The CAS service sends the browser to seuil's sign-in. The LogoutRequest leaves in the
    background: give it a moment to land."""
    asks_again = page.get_by_role("heading", name="Connexion à Scolarité")
    for _ in range(20):
        page.goto(f"{scolarite.url}/cgi/whoami")
        if asks_again.is_visible():
            break
        time.sleep(0.25)
    expect(asks_again).to_be_visible()


def sign_in(page: Page, login: str) -> None:
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_cas_service_shares_the_sign_in_and_the_sign_out(
    page: Page, live_server: Any, scolarite: Apache, make_person: Callable[..., Person]
) -> None:
    login = make_person(password=PASSWORD).account.login
    page.goto(live_server.url + "/gestion-de-compte/se-connecter/")
    sign_in(page, login)
    expect(page.get_by_role("heading", name="Mon ENT")).to_be_visible()

    # The CAS service: no second password.
    page.goto(f"{scolarite.url}/cgi/whoami")
    page.wait_for_url(f"{scolarite.url}/cgi/whoami")
    text = page.locator("body").inner_text()
    assert f"REMOTE_USER={login}" in text, scolarite.log()
    # Apache drops request headers with "_" on their way to a CGI, hence the "-" prefix.
    assert "HTTP_CAS_MAIL=jean.dupont@univ-montp3.fr" in text, text
    assert "HTTP_CAS_EDUPERSONAFFILIATION=staff,employee,member" in text, text

    # Signing out of seuil reaches mod_auth_cas: its next visit asks for the password again.
    page.goto(live_server.url + "/mon-ent/")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(live_server.url + "/")
    asks_for_a_password_again(page, scolarite)
    sign_in(page, login)
    page.wait_for_url(f"{scolarite.url}/cgi/whoami")
    assert f"REMOTE_USER={login}" in page.locator("body").inner_text()


def test_the_cas_pages_have_no_accessibility_violation(
    audited: Page,  # noqa: F811 -- the fixture imported above
    make_person: Callable[..., Person],
) -> None:
    site = "https://scolarite.example/"
    register_cas("Scolarité", site, statuses=("etudiant",))
    login = make_person(password=PASSWORD).account.login  # staff: not for this service
    found = violations(audited, f"/cas/login?service={site}")
    found += violations(audited, "/cas/login?service=https://unknown.example/")
    audited.goto(f"/cas/login?service={site}")
    sign_in(audited, login)
    expect(audited.get_by_role("heading", name="Accès refusé")).to_be_visible()
    found += violations(audited, f"/cas/login?service={site}")
    found += violations(audited, "/cas/logout")
    assert found == []


def test_an_oidc_and_a_cas_service_share_one_sign_in_and_one_sign_out(
    page: Page,
    live_server: Any,
    course_site: Apache,  # noqa: F811 -- the fixture imported above
    scolarite: Apache,
    make_person: Callable[..., Person],
) -> None:
    login = make_person(status="enseignant", password=PASSWORD).account.login

    # Signed in for the OpenID Connect service (mod_auth_openidc)...
    page.goto(f"{course_site.url}/cgi/whoami")
    expect(page.get_by_role("heading", name="Connexion à Espace de cours")).to_be_visible()
    sign_in(page, login)
    page.wait_for_url(f"{course_site.url}/cgi/whoami")
    assert f"REMOTE_USER={login}" in page.locator("body").inner_text(), course_site.log()

    # ...the CAS service (mod_auth_cas) lets the person in without a password.
    page.goto(f"{scolarite.url}/cgi/whoami")
    page.wait_for_url(f"{scolarite.url}/cgi/whoami")
    assert f"REMOTE_USER={login}" in page.locator("body").inner_text(), scolarite.log()

    # Signing out through the OIDC service (RP-initiated logout) signs out of the CAS one too.
    goodbye = f"{course_site.url}/au-revoir.html"
    page.goto(f"{course_site.url}/cgi/whoami/redirect_uri?logout={quote(goodbye, safe='')}")
    page.wait_for_url(goodbye)
    asks_for_a_password_again(page, scolarite)
