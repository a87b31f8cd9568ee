"""Single logout: signing out of seuil sends every CAS service of the session a back-channel SAML
LogoutRequest naming its ticket; a service that never answers holds nothing up."""

import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import defusedxml.ElementTree as ET
import pytest
from django.test import Client

from seuil.cas import services
from seuil.people.models import Person
from tests.cas import Endpoint, register_cas
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
SAMLP = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol"}


@pytest.fixture
def endpoints() -> Iterator[Callable[..., Endpoint]]:
    made: list[Endpoint] = []

    def make(name: str, *, hang: bool = False) -> Endpoint:
        endpoint = Endpoint(hang=hang)
        register_cas(name, endpoint.url)
        made.append(endpoint)
        return endpoint

    yield make
    for endpoint in made:
        endpoint.close()


def signed_in(make_person: Callable[..., Person]) -> Client:
    make_person(password=PASSWORD)
    client = Client()
    client.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    return client


def ticket_for(client: Client, service: str) -> str:
    location = client.get("/cas/login", {"service": service})["Location"]
    return parse_qs(urlsplit(location).query)["ticket"][0]


def session_index(logout_request: str) -> str | None:
    root = ET.fromstring(logout_request)
    assert root.tag == "{urn:oasis:names:tc:SAML:2.0:protocol}LogoutRequest"
    index = root.findtext("samlp:SessionIndex", namespaces=SAMLP)
    return None if index is None else str(index)


def test_signing_out_tells_every_service_of_the_session_without_waiting_for_a_silent_one(
    make_person: Callable[..., Person],
    endpoints: Callable[..., Endpoint],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A timeout far longer than the test waits: only a sign-out that does not wait can pass.
    monkeypatch.setattr(services, "LOGOUT_TIMEOUT", 120)
    answering = [endpoints(f"Service {n}") for n in range(4)]
    silent = endpoints("Silencieux", hang=True)
    client = signed_in(make_person)
    tickets = {endpoint.url: ticket_for(client, endpoint.url) for endpoint in [*answering, silent]}
    answers: list[int] = []
    signing_out = threading.Thread(
        target=lambda: answers.append(client.post("/gestion-de-compte/se-deconnecter/").status_code)
    )
    signing_out.start()
    signing_out.join(20)
    assert answers == [302], "the sign-out answered while a service still says nothing"
    assert silent.holding.wait(10), "the silent service was told too"
    for endpoint in answering:
        [logout_request] = endpoint.wait()
        assert session_index(logout_request) == tickets[endpoint.url]
    assert client.get("/mon-ent/").status_code == 302


def test_the_cas_logout_page_sends_single_logout_too(
    make_person: Callable[..., Person], endpoints: Callable[..., Endpoint]
) -> None:
    endpoint = endpoints("Scolarité")
    client = signed_in(make_person)
    first, second = ticket_for(client, endpoint.url), ticket_for(client, endpoint.url + "notes")
    client.get("/cas/logout", HTTP_REFERER=endpoint.url)  # the service's "sign out" link
    received = endpoint.wait(2)
    assert sorted(session_index(r) or "" for r in received) == sorted([first, second])


def test_a_service_that_got_no_ticket_is_not_told(
    make_person: Callable[..., Person], endpoints: Callable[..., Endpoint]
) -> None:
    told, untouched = endpoints("Bibliothèque"), endpoints("Annuaire")
    client = signed_in(make_person)
    ticket_for(client, told.url)
    client.post("/gestion-de-compte/se-deconnecter/")
    assert len(told.wait()) == 1
    time.sleep(0.3)  # long enough for a stray request to have arrived
    assert untouched.requests == []
