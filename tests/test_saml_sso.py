"""SAML Web SSO, with pysaml2's own client playing the SP in-process: the metadata, the signed and
encrypted Response it accepts, the identifiers and attributes in it, and the session shared with
OpenID Connect and CAS."""

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from defusedxml import ElementTree as ET
from django.test import Client
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from seuil.audit.models import Action, AuditEvent
from seuil.people.models import Person
from seuil.saml.models import PersistentId
from tests.conftest import PASSWORD
from tests.saml import authn_request, local_service, make_sp, posted, register, response_xml, send

pytestmark = pytest.mark.django_db
MD = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "alg": "urn:oasis:names:tc:SAML:metadata:algsupport",
    "shibmd": "urn:mace:shibboleth:metadata:1.0",
    "mdui": "urn:oasis:names:tc:SAML:metadata:ui",
    "mdattr": "urn:oasis:names:tc:SAML:metadata:attribute",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}
EPPN = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
PAIRWISE = "urn:oasis:names:tc:SAML:attribute:pairwise-id"


def signed_in(login: str = "jdupont") -> Client:
    browser = Client()
    response = browser.post(
        "/gestion-de-compte/se-connecter/", {"login": login, "password": PASSWORD}
    )
    assert response.status_code == 302
    return browser


def test_the_metadata_publishes_what_the_federation_asks(client: Client) -> None:
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    root = ET.fromstring(response.content)
    assert root.get("entityID") == "http://127.0.0.1:8000/saml/idp"
    idp = root.find("md:IDPSSODescriptor", MD)
    scope = idp.find("md:Extensions/shibmd:Scope", MD)
    assert (scope.text, scope.get("regexp")) == ("univ-montp3.fr", "false")
    names = idp.findall("md:Extensions/mdui:UIInfo/mdui:DisplayName", MD)
    assert {n.get("{http://www.w3.org/XML/1998/namespace}lang") for n in names} == {"fr", "en"}
    algorithms = [e.get("Algorithm") for e in root.iter() if e.get("Algorithm")]
    assert algorithms
    assert not [a for a in algorithms if "sha1" in a or "md5" in a or "des" in a]
    values = [
        v.text
        for v in root.iterfind(
            "md:Extensions/mdattr:EntityAttributes/saml:Attribute/saml:AttributeValue", MD
        )
    ]
    assert "http://refeds.org/category/research-and-scholarship" in values
    assert "https://refeds.org/sirtfi" in values
    contacts = root.findall("md:ContactPerson", MD)
    assert {c.get("{http://refeds.org/metadata}contactType") for c in contacts} >= {
        "http://refeds.org/metadata/contactType/security"
    }
    bindings = {e.get("Binding") for e in idp.findall("md:SingleSignOnService", MD)}
    assert bindings == {BINDING_HTTP_REDIRECT, BINDING_HTTP_POST}
    assert idp.findall("md:SingleLogoutService", MD)
    uses = {k.get("use") for k in idp.findall("md:KeyDescriptor", MD)}
    assert uses == {"signing", "encryption"}


@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST])
def test_it_signs_a_person_in_with_a_signed_encrypted_response(jean: Person, binding: str) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    browser = Client()
    request_id, carried = authn_request(sp, binding=binding)
    page = send(browser, carried, binding=binding)
    assert "Connexion à Gestion des stages" in page.content.decode()
    page = browser.post(
        page.redirect_chain[-1][0], {"login": "jdupont", "password": PASSWORD}, follow=True
    )
    acs, fields = posted(page)
    assert acs == sp.acs
    assert fields["RelayState"] == "back-to-page"
    xml = response_xml(fields)
    assert "EncryptedAssertion" in xml
    assert "aes256-gcm" in xml
    assert "rsa-oaep" in xml
    assert "tripledes" not in xml
    assert "rsa-sha256" in xml
    result = sp.client.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "back-to-page"}
    )
    assert result is not None
    assert result.response.signature is not None
    identity = result.get_identity()
    assert identity["eduPersonPrincipalName"] == [f"{jean.account.login}@univ-montp3.fr"]
    assert identity["mail"] == [jean.account.mail]
    assert "staff@univ-montp3.fr" in identity["eduPersonScopedAffiliation"]
    stored = PersistentId.objects.get(account=jean.account, entity_id=sp.entity_id).value
    assert result.name_id.text == stored
    assert identity["pairwise-id"] == [f"{stored}@univ-montp3.fr"]
    assert "subject-id" not in identity
    event = AuditEvent.objects.get(action=Action.SAML_RELEASE)
    assert event.detail["sp"] == sp.entity_id
    assert "mail" in event.detail["attributes"]
    assert str(jean.account.mail) not in str(event.detail)


def test_the_persistent_id_is_stable_and_differs_per_sp(jean: Person) -> None:
    first, second = make_sp(), make_sp("https://other.example.org/shibboleth")
    service = local_service()
    register(first, service=service)
    register(second, service=service)
    browser = signed_in()
    ids = []
    for sp in (first, second, first):
        request_id, carried = authn_request(sp)
        _, fields = posted(send(browser, carried))
        result = sp.client.parse_authn_request_response(
            fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "x"}
        )
        ids.append(result.name_id.text)
    assert ids[0] == ids[2] != ids[1]
    assert len(ids[0]) == 32
    assert jean.account.login not in ids[0]


def test_the_encrypted_assertion_is_signed_and_bound_to_its_request(jean: Person) -> None:
    sp = make_sp()
    register(sp, service=local_service())
    browser = signed_in()
    request_id, carried = authn_request(sp)
    _, fields = posted(send(browser, carried))
    xml = response_xml(fields)
    signatures = re.findall(r"<ds:Signature[ >]", xml)
    assert len(signatures) == 1, "the Response's; the assertion's is encrypted with it"
    result = sp.client.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "x"}
    )
    assertion = result.assertion
    assert assertion.signature is not None  # pysaml2 verified it once decrypted
    assert "rsa-sha256" in assertion.signature.signed_info.signature_method.algorithm
    audiences = [a.text for r in assertion.conditions.audience_restriction for a in r.audience]
    assert audiences == [sp.entity_id]
    confirmation = assertion.subject.subject_confirmation[0].subject_confirmation_data
    assert (confirmation.recipient, confirmation.in_response_to) == (sp.acs, request_id)
    assert confirmation.not_on_or_after
    assert assertion.conditions.not_on_or_after
    assert assertion.authn_statement[0].session_index


def test_a_response_starts_no_xmlsec1_process_and_reads_the_database_little(
    jean: Person, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    """The hot path: an AuthnRequest checked and its signed, encrypted Response made, in the
    worker (python-xmlsec), with a fixed number of SQL statements."""
    import saml2.sigver
    from django.utils import timezone

    from seuil.saml.inbound import check
    from seuil.saml.outbound import respond

    sp = make_sp()
    register(sp, service=local_service())
    started: list[object] = []
    real = saml2.sigver.Popen

    def popen(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(saml2.sigver, "Popen", popen)

    def answer() -> str:
        _, carried = authn_request(sp)
        query = dict(parse_qsl(urlsplit(carried["__url__"]).query))
        pending, found = check(
            encoded=query["SAMLRequest"],
            binding=BINDING_HTTP_REDIRECT,
            relay_state=query["RelayState"],
        )
        outgoing = respond(
            pending=pending, sp=found, account=jean.account, authenticated_at=timezone.now()
        )
        return outgoing.saml_response

    answer()  # the worker's caches warm: its pysaml2 server for this SP, the parsed keys
    # SP found; expired request IDs deleted; this one recorded; the persistent ID read.
    with django_assert_num_queries(4):
        assert answer()
    assert started == [], "no xmlsec1 process: python-xmlsec signs and encrypts in the worker"
