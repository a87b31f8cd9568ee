"""mod_auth_mellon signs a person in through seuil in Chromium: the sign-in page naming the
service, what mellon exposes (REMOTE_USER is the eppn; the persistent NameID and pairwise-id
stable across sign-ins), the session shared with an OpenID Connect service, and SP-initiated
single logout, after which the SP asks again."""

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from seuil.people.models import Person
from seuil.saml import metadata
from tests.apache import Apache
from tests.mellon import MellonSP, running_mellon_sp
from tests.saml import aggregate
from tests.test_saml_shibboleth import seuil_idp, sign_in  # noqa: F401 -- a fixture
from tests.test_sso_browser import course_site  # noqa: F401 -- a fixture

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def archives(seuil_idp: str) -> Iterator[MellonSP]:  # noqa: F811 -- the fixture imported above
    """ "Archives": an application behind mod_auth_mellon, registered from the metadata mellon
    publishes; it trusts seuil through the test federation's signed aggregate."""
    until = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    federation = aggregate([metadata.document().decode()], valid_until=until)
    with running_mellon_sp(federation=federation) as sp:
        (sp.apache.root / "htdocs" / "au-revoir.html").write_text(
            '<!doctype html><meta charset="utf-8"><title>Au revoir</title><p>Déconnecté.'
        )
        call_command(
            "register_service", "Archives", "--url", f"{sp.url}/secure/whoami",
            "--theme", "documentation", "--for", "administratif,enseignant",
            "--claims", "name,given_name,family_name,email,eduperson_principal_name,eduperson_scoped_affiliation",
            "--saml-sp", f"{sp.url}/mellon/metadata", stdout=StringIO(),
        )  # fmt: skip
        yield sp


def shown(page: Page, sp: MellonSP) -> dict[str, str]:
    # The auto-posting page, mellon's postResponse and its redirect follow each other: wait for
    # the last page rather than for one navigation.
    expect(page).to_have_url(f"{sp.url}/secure/whoami", timeout=15_000)
    expect(page.locator("body")).to_contain_text("REMOTE_USER=")
    text = page.locator("body").inner_text()
    return dict(re.findall(r"^([\w-]+)=(.*)$", text, re.M))


@pytest.mark.browser
def test_mellon_signs_in_through_seuil_and_logs_out(
    page: Page,
    archives: MellonSP,
    jean: Person,
    course_site: Apache,  # noqa: F811 -- the fixture imported above
) -> None:
    login = jean.account.login
    page.goto(f"{archives.url}/secure/whoami")
    expect(page.get_by_role("heading", name="Connexion à Archives")).to_be_visible()
    sign_in(page, login)
    first = shown(page, archives)
    assert first["REMOTE_USER"] == f"{login}@univ-montp3.fr", archives.log()[-3000:]
    assert first["eppn"] == f"{login}@univ-montp3.fr"
    assert "staff@univ-montp3.fr" in first["affiliation"]
    assert first["mail"] == jean.account.mail
    assert first["pairwise-id"].endswith("@univ-montp3.fr")
    assert first["MELLON_NAME_ID"] == first["pairwise-id"].split("@")[0]

    # A new mellon session, on the same seuil session: no password, the same identifiers.
    page.context.clear_cookies(domain="127.0.0.2")
    page.goto(f"{archives.url}/secure/whoami")
    again = shown(page, archives)
    assert (again["pairwise-id"], again["MELLON_NAME_ID"]) == (
        first["pairwise-id"],
        first["MELLON_NAME_ID"],
    )

    # The OpenID Connect service, on the same session: no password either.
    jean.status = "enseignant"
    jean.save()
    page.goto(f"{course_site.url}/cgi/whoami")
    expect(page.locator("body")).to_contain_text(re.compile(r"REMOTE_USER=\S+"))

    # SP-initiated logout ends seuil's session: the SP then asks for the password again.
    page.goto(f"{archives.url}/mellon/logout?ReturnTo={archives.url}/au-revoir.html")
    expect(page).to_have_url(f"{archives.url}/au-revoir.html", timeout=15_000)
    page.goto(f"{archives.url}/secure/whoami")
    expect(page.get_by_role("heading", name="Connexion à Archives")).to_be_visible()


class WithinTheSP(urllib.request.HTTPRedirectHandler):
    """Follows mellon's redirects to itself, stops at the one to an IdP."""

    def __init__(self, sp: MellonSP) -> None:
        self.sp = sp

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if newurl.startswith(f"{self.sp.url}/"):
            return super().redirect_request(req, fp, code, msg, headers, newurl)
        return None


@pytest.mark.parametrize("aggregate_is", ["as signed", "tampered", "signed by another key"])
def test_mellon_trusts_seuil_only_through_the_federation_signature(
    seuil_idp: str,  # noqa: F811 -- the fixture imported above
    aggregate_is: str,
) -> None:
    until = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    key = "other-federation" if aggregate_is == "signed by another key" else "federation"
    federation = aggregate([metadata.document().decode()], valid_until=until, key=key)
    if aggregate_is == "tampered":  # another SSO address for seuil, after the signature
        federation = federation.replace(b"/saml/sso/redirect", b"/saml/sso/elsewhere", 1)
        assert b"/saml/sso/elsewhere" in federation
    with running_mellon_sp(federation=federation) as sp:
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.build_opener(WithinTheSP(sp)).open(f"{sp.url}/secure/whoami", timeout=10)
        if aggregate_is == "as signed":
            assert answer.value.code == 303
            assert answer.value.headers["Location"].startswith(
                seuil_idp.replace("/saml/idp", "/saml/sso/redirect?SAMLRequest=")
            )
        else:  # never sent to an IdP: mellon refuses the aggregate and answers an error itself
            assert answer.value.code == 500
            assert "Failed to verify signature" in sp.log()
