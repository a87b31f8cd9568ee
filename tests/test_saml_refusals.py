"""What seuil's IdP refuses, before anything leaves it: an error page, never a redirect or a POST
to an address the SP's metadata does not hold."""

import base64
import zlib
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from saml2 import BINDING_HTTP_POST

from seuil.people.models import Person
from seuil.saml.models import FederationRelease
from tests.conftest import PASSWORD
from tests.saml import authn_request, local_service, make_sp, posted, register, response_xml, send

pytestmark = pytest.mark.django_db


def signed_in(login: str = "jdupont") -> Client:
    browser = Client()
    response = browser.post(
        "/gestion-de-compte/se-connecter/", {"login": login, "password": PASSWORD}
    )
    assert response.status_code == 302
    return browser


def refused(response: object, status: int = 400) -> str:
    html: str = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == status, html[:1000]  # type: ignore[attr-defined]
    assert "SAMLResponse" not in html
    return html


def test_it_refuses_an_unknown_sp(jean: Person) -> None:
    _, carried = authn_request(make_sp())
    assert "pas connu" in refused(send(signed_in(), carried))


def test_it_refuses_an_acs_url_not_in_the_metadata(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    _, carried = authn_request(sp, assertion_consumer_service_url="https://evil.example/acs")
    assert "adresse de retour" in refused(send(signed_in(), carried))


def test_it_refuses_a_replayed_request(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    browser = signed_in()
    _, carried = authn_request(sp)
    posted(send(browser, carried))
    assert "déjà servi" in refused(send(browser, carried))


def test_it_refuses_a_request_outside_the_clock_skew(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        _, carried = authn_request(sp)
    assert "expiré" in refused(send(signed_in(), carried))


def test_it_refuses_a_request_signed_with_another_key(jean: Person) -> None:
    register(make_sp(sign_requests=True), service=local_service())
    impostor = make_sp(sign_requests=True, key="impostor")
    _, carried = authn_request(impostor)
    assert "signature" in refused(send(signed_in(), carried), 403)


def test_it_verifies_a_post_request_signed_with_another_key(jean: Person) -> None:
    register(make_sp(sign_requests=True), service=local_service())
    impostor = make_sp(sign_requests=True, key="impostor")
    _, carried = authn_request(impostor, binding=BINDING_HTTP_POST)
    refused(send(signed_in(), carried, binding=BINDING_HTTP_POST), 403)


def test_it_accepts_a_request_signed_with_the_sp_key(jean: Person) -> None:
    sp = make_sp(sign_requests=True)
    register(sp, service=local_service())
    _, carried = authn_request(sp)
    acs, _ = posted(send(signed_in(), carried))
    assert acs == sp.acs


def test_an_sp_that_signs_its_requests_gets_nothing_for_an_unsigned_one(jean: Person) -> None:
    register(make_sp(sign_requests=True), service=local_service())
    _, carried = authn_request(make_sp())
    assert "doit signer" in refused(send(signed_in(), carried))


def test_it_refuses_a_redirect_signature_that_does_not_match(jean: Person) -> None:
    sp = make_sp(sign_requests=True)
    register(sp, service=local_service())
    _, carried = authn_request(sp)
    parts = urlsplit(carried["__url__"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["RelayState"] = "somewhere-else"  # signed over, so the signature no longer matches
    tampered = {"__url__": f"{parts.path}?{urlencode(query)}"}
    refused(send(signed_in(), tampered), 403)


def test_force_authn_asks_for_the_password_again(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    browser = signed_in()
    _, carried = authn_request(sp, force_authn="true")
    page = send(browser, carried)
    assert "saisissiez à nouveau" in page.content.decode()
    page = browser.post(
        page.redirect_chain[-1][0], {"login": "jdupont", "password": PASSWORD}, follow=True
    )
    assert posted(page)[0] == sp.acs


def test_is_passive_without_a_session_answers_no_passive(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    _, carried = authn_request(sp, is_passive="true")
    _, fields = posted(send(Client(), carried))
    xml = response_xml(fields)
    assert "urn:oasis:names:tc:SAML:2.0:status:NoPassive" in xml
    assert "Assertion" not in xml.replace("urn:oasis:names:tc:SAML:2.0:assertion", "")


def test_a_status_the_service_is_not_for_gets_nothing(make_person: object) -> None:
    make_person(password=PASSWORD, status="etudiant")  # type: ignore[operator]
    sp = make_sp()
    register(sp, service=local_service(statuses=("administratif",)))
    _, carried = authn_request(sp)
    refused(send(signed_in("jdupont"), carried), 403)


def test_a_closed_account_gets_nothing(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    browser = signed_in()
    jean.account.lock("test")
    _, carried = authn_request(sp)
    page = send(browser, carried)  # the lock ended the session: the sign-in, which refuses
    assert "SAMLResponse" not in page.content.decode()
    page = browser.post(
        page.redirect_chain[-1][0], {"login": "jdupont", "password": PASSWORD}, follow=True
    )
    assert "SAMLResponse" not in page.content.decode()


def test_a_malformed_request_gets_an_error_page(client: Client) -> None:
    for value in ["%%%", base64.b64encode(b"not deflated").decode(), "A" * 100_000]:
        refused(client.get("/saml/sso/redirect", {"SAMLRequest": value}))
    bomb = base64.b64encode(zlib.compress(b"<a>" + b" " * 10_000_000 + b"</a>")[2:-4]).decode()
    refused(client.get("/saml/sso/redirect", {"SAMLRequest": bomb}))
    refused(client.post("/saml/sso/post", {"SAMLRequest": "\x00"}))


def federation_sp(*, research: bool = False) -> object:
    from seuil.saml.models import Federation

    category = (
        '<md:Extensions xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><mdattr:EntityAttributes '
        'xmlns:mdattr="urn:oasis:names:tc:SAML:metadata:attribute"><saml:Attribute '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        'Name="http://macedir.org/entity-category" '
        'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><saml:AttributeValue>'
        "http://refeds.org/category/research-and-scholarship</saml:AttributeValue>"
        "</saml:Attribute></mdattr:EntityAttributes></md:Extensions>"
    )
    sp = make_sp(
        "https://publisher.example.com/sp", extra_entity_attributes=category if research else ""
    )
    from seuil.saml.entities import parse_document, read_entity
    from seuil.saml.models import ServiceProvider

    federation = Federation.objects.create(name="renater", url="https://example.org/md.xml")
    entity = read_entity(parse_document(sp.metadata.encode()))
    ServiceProvider.objects.save_entity(entity, federation=federation)
    return sp


def test_a_federation_sp_gets_the_opaque_id_and_scoped_affiliation_after_consent(
    jean: Person,
) -> None:
    sp = federation_sp()
    browser = signed_in()
    request_id, carried = authn_request(sp)  # type: ignore[arg-type]
    page = send(browser, carried)
    html = page.content.decode()
    assert "Informations transmises" in html
    assert "statut dans l'établissement" in html
    assert "adresse électronique" not in html
    _, fields = posted(browser.post(page.redirect_chain[-1][0], {"consent": "yes"}))
    identity = sp.client.parse_authn_request_response(  # type: ignore[attr-defined]
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "x"}
    ).get_identity()
    assert set(identity) == {"eduPersonScopedAffiliation", "pairwise-id"}
    _, carried = authn_request(sp)  # type: ignore[arg-type]
    posted(send(browser, carried))  # consent is asked once


def test_an_operator_may_allow_more_and_rs_gets_the_bundle(jean: Person, settings: object) -> None:
    settings.SEUIL_SAML_CONSENT = False  # type: ignore[attr-defined]
    sp = federation_sp(research=True)
    FederationRelease.objects.create(
        entity_id="https://publisher.example.com/sp", attributes=["schacHomeOrganization"]
    )
    request_id, carried = authn_request(sp)  # type: ignore[arg-type]
    _, fields = posted(send(signed_in(), carried))
    identity = sp.client.parse_authn_request_response(  # type: ignore[attr-defined]
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "x"}
    ).get_identity()
    assert identity["eduPersonPrincipalName"] == [f"{jean.account.login}@univ-montp3.fr"]
    assert identity["schacHomeOrganization"] == ["univ-montp3.fr"]
    assert {"mail", "displayName", "pairwise-id"} <= set(identity)


def test_cancelling_the_consent_sends_a_refusal(jean: Person) -> None:
    sp = federation_sp()
    browser = signed_in()
    _, carried = authn_request(sp)  # type: ignore[arg-type]
    page = send(browser, carried)
    _, fields = posted(browser.post(page.redirect_chain[-1][0], {"consent": "no"}))
    assert "RequestDenied" in response_xml(fields)
