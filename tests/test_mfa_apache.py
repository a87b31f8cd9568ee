"""In Chromium, a page that Apache protects with mod_auth_openidc and a service registered with
--require-mfa: the module asks for REFEDS MFA (acr_values) and requires the acr claim; a person
whose session used a password alone is stepped up with a TOTP code, without the password, and
arrives with acr=https://refeds.org/profile/mfa and amr in the claims."""

import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pyotp
import pytest
from playwright.sync_api import Page, expect

from seuil.mfa.models import TotpDevice
from seuil.mfa.session import REFEDS_MFA
from seuil.people.models import Person
from seuil.sso.models import DEFAULT_CLAIMS, Service
from tests.apache import Apache, running_apache
from tests.conftest import PASSWORD, free_port
from tests.sso import Browser, provider_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPENIDC = """
OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {client_id}
OIDCClientSecret {client_secret}
OIDCRedirectURI http://127.0.0.2:{{port}}/cgi/whoami/redirect_uri
OIDCCryptoPassphrase {passphrase}
OIDCScope "openid profile"
OIDCPKCEMethod S256
OIDCRemoteUserClaim preferred_username
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCAuthRequestParams acr_values={acr}
<Location /cgi/whoami>
  AuthType openid-connect
  Require claim acr:{refeds}
</Location>
"""


@pytest.fixture
def grades(live_server: Any, settings: Any) -> Iterator[Apache]:
    """The grades application: behind mod_auth_openidc, registered with --require-mfa."""
    provider_settings(settings, live_server.url)
    port = free_port("127.0.0.2")
    site = f"http://127.0.0.2:{port}"
    done = Service.objects.register(
        name="Notes", url=f"{site}/cgi/whoami", theme="scolarite", statuses=["etudiant"],
        redirect_uris=[f"{site}/cgi/whoami/redirect_uri"], claims=list(DEFAULT_CLAIMS),
        require_mfa=True,
    )  # fmt: skip
    body = OPENIDC.format(
        issuer=live_server.url,
        client_id=done.client_id,
        client_secret=done.client_secret,
        passphrase=secrets.token_hex(16),
        acr=quote(REFEDS_MFA, safe=""),
        refeds=REFEDS_MFA,
    )
    with running_apache(body, modules=["auth_openidc"], port=port) as apache:
        yield apache


def test_a_require_mfa_service_behind_mod_auth_openidc_steps_the_session_up(
    page: Page, live_server: Any, grades: Apache, make_person: Callable[..., Person]
) -> None:
    student = make_person(status="etudiant", first_name="Zoé", last_name="Brontë", password=PASSWORD)  # fmt: skip
    login = student.account.login
    page.goto(live_server.url + "/gestion-de-compte/se-connecter/")
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Mon ENT")).to_be_visible()

    # The factor is added from another browser: this session has used the password alone.
    other = Browser(live_server.url)
    other.submit(other.get("/gestion-de-compte/se-connecter/"), login=login, password=PASSWORD)
    enrol = other.get("/gestion-de-compte/securite/application/")
    key = re.search(r'id="totp-key" class="key">([A-Z2-7 ]+)<', enrol.text)
    assert key
    totp = pyotp.TOTP(key.group(1).replace(" ", ""))
    other.submit(enrol, code=totp.now())
    TotpDevice.objects.update(last_step=0)

    page.goto(f"{grades.url}/cgi/whoami")
    expect(page.get_by_role("heading", name="Second facteur")).to_be_visible()
    assert page.locator("#id_password").count() == 0, "no second password"
    page.get_by_label("Code à six chiffres").fill(totp.now())
    page.get_by_role("button", name="Valider", exact=True).click()
    page.wait_for_url(f"{grades.url}/cgi/whoami")
    text = page.locator("body").inner_text()
    assert f"REMOTE_USER={login}" in text, grades.log()
    assert f"OIDC_CLAIM_acr={REFEDS_MFA}" in text
    assert "OIDC_CLAIM_amr=pwd,otp,mfa" in text
