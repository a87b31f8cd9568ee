"""SAML single logout: SP-initiated over HTTP-Redirect and HTTP-POST ends seuil's session (and
so the CAS and OIDC ones); seuil's own sign-out tells every SAML SP of the session."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

from seuil.people.models import Person
from seuil.saml.models import PersistentId
from tests.conftest import PASSWORD
from tests.saml import SP, authn_request, local_service, make_sp, posted, register, send

pytestmark = pytest.mark.django_db
IDP_SLO = "http://127.0.0.1:8000/saml/slo/redirect"


def signed_in_at(*sps: SP) -> Client:
    browser = Client()
    browser.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    for sp in sps:
        _, carried = authn_request(sp)
        posted(send(browser, carried))
    return browser


def logout_request(
    sp: SP,
    name_id: str,
    *,
    binding: str = BINDING_HTTP_REDIRECT,
    sign: bool = True,
    sigalg: str = SIG_RSA_SHA256,
) -> dict[str, str]:
    destination = (
        IDP_SLO if binding == BINDING_HTTP_REDIRECT else IDP_SLO.replace("redirect", "post")
    )
    nid = NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id)
    _, request = sp.client.create_logout_request(
        destination,
        "http://127.0.0.1:8000/saml/idp",
        name_id=nid,
        sign=sign and binding == BINDING_HTTP_POST,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    info = sp.client.apply_binding(
        binding, str(request), destination, "after-logout", sign=sign, sigalg=sigalg
    )
    if binding == BINDING_HTTP_REDIRECT:
        return {"__url__": dict(info["headers"])["Location"]}
    return {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', info["data"])}


def carry(browser: Client, message: dict[str, str], binding: str = BINDING_HTTP_REDIRECT) -> object:
    if binding == BINDING_HTTP_REDIRECT:
        return browser.get(message["__url__"].replace("http://127.0.0.1:8000", ""))
    return browser.post("/saml/slo/post", message)


@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST])
def test_sp_initiated_logout_ends_the_session_and_tells_the_other_sps(
    jean: Person, binding: str
) -> None:
    first, second = make_sp(), make_sp("https://other.example.org/shibboleth")
    service = local_service()
    register(first, service=service)
    register(second, service=service)
    browser = signed_in_at(first, second)
    name_id = PersistentId.objects.get(entity_id=first.entity_id).value
    page = carry(browser, logout_request(first, name_id, binding=binding), binding)
    html = page.content.decode()  # type: ignore[attr-defined]
    frame = unescape(re.search(r'<iframe src="([^"]+)"', html).group(1))  # type: ignore[union-attr]
    assert frame.startswith("https://other.example.org/Shibboleth.sso/SLO/Redirect?SAMLRequest=")
    assert "Signature=" in frame
    assert "rsa-sha256" in frame
    back = unescape(re.search(r'<a href="([^"]+)" id="saml-logout-next"', html).group(1))  # type: ignore[union-attr]
    query = parse_qs(urlsplit(back).query)
    assert query["RelayState"] == ["after-logout"]
    response = first.client.parse_logout_request_response(
        query["SAMLResponse"][0], BINDING_HTTP_REDIRECT
    )
    assert response is not None
    assert response.status_ok()
    assert browser.get("/mon-ent/").status_code == 302  # signed out of seuil


def test_an_unsigned_logout_request_is_refused(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    browser = signed_in_at(sp)
    name_id = PersistentId.objects.get(entity_id=sp.entity_id).value
    page = carry(browser, logout_request(sp, name_id, sign=False))
    assert page.status_code == 400  # type: ignore[attr-defined]
    assert browser.get("/mon-ent/").status_code == 200


def test_a_logout_request_signed_with_sha1_is_refused(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    browser = signed_in_at(sp)
    name_id = PersistentId.objects.get(entity_id=sp.entity_id).value
    page = carry(browser, logout_request(sp, name_id, sigalg=SIG_RSA_SHA1))
    assert "trop faible" in page.content.decode()  # type: ignore[attr-defined]
    assert browser.get("/mon-ent/").status_code == 200


def test_a_logout_for_another_name_id_leaves_the_session(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    browser = signed_in_at(sp)
    page = carry(browser, logout_request(sp, "someone-else"))
    assert page.status_code == 302  # type: ignore[attr-defined]
    assert browser.get("/mon-ent/").status_code == 200


def test_signing_out_of_seuil_sends_logout_requests_to_the_saml_sps(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    browser = signed_in_at(sp)
    page = browser.post("/gestion-de-compte/se-deconnecter/")
    html = page.content.decode()
    frame = unescape(re.search(r'<iframe src="([^"]+)"', html).group(1))  # type: ignore[union-attr]
    request = sp.client.parse_logout_request(
        parse_qs(urlsplit(frame).query)["SAMLRequest"][0], BINDING_HTTP_REDIRECT
    )
    assert request.message.name_id.text == PersistentId.objects.get(entity_id=sp.entity_id).value
    assert "frame-src https://sp.example.org" in page["Content-Security-Policy"]
    assert browser.get("/mon-ent/").status_code == 302
