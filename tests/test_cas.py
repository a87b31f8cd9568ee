"""The CAS 3.0 server, driven by python-cas as a service would drive it, over HTTP."""

import logging
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import defusedxml.ElementTree as ET
import pytest
import requests
import time_machine
from cas import CASClient
from django.db import IntegrityError, OperationalError
from django.db.models import F
from django.test import Client
from django.utils import timezone

from seuil.cas.models import CasService, Kind, ProxyGrantingTicket, ServiceTicket
from seuil.people.models import Person
from seuil.sso.models import Service
from tests.cas import register_cas
from tests.conftest import PASSWORD
from tests.databases import on_postgres

pytestmark = pytest.mark.django_db(transaction=True)
APP = "http://app.example/moodle/"
OTHER = "http://other.example/"
TICKET = re.compile(r"^ST-[A-Za-z0-9.-]+$")
NS = {"cas": "http://www.yale.edu/tp/cas"}


@pytest.fixture
def app() -> Service:
    return register_cas("Espace de cours", APP)


def signed_in(login: str = "jdupont") -> Client:
    client = Client()
    response = client.post(
        "/gestion-de-compte/se-connecter/", {"login": login, "password": PASSWORD}
    )
    assert response.status_code == 302, "the sign-in failed"
    return client


def ticket_from(response: Any, service: str = APP) -> str:
    assert response.status_code == 302, response.content.decode()[:500]
    location = str(response["Location"])
    assert location.startswith(service)
    return parse_qs(urlsplit(location).query)["ticket"][0]


def client_for(live_server: Any, service: str = APP, **options: Any) -> Any:
    return CASClient(
        version=3, service_url=service, server_url=f"{live_server.url}/cas/", **options
    )


def failure_code(xml: bytes) -> str | None:
    failure = ET.fromstring(xml).find("cas:authenticationFailure", NS)
    return None if failure is None else str(failure.get("code"))


def test_a_signed_in_person_gets_a_ticket_without_a_password(app: Service, jean: Person) -> None:
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    assert TICKET.match(ticket), "mod_auth_cas accepts letters, digits, dots and dashes only"
    assert len(ticket) >= 32


def test_p3_validation_releases_the_ldap_named_attributes(
    live_server: Any, app: Service, jean: Person
) -> None:
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    user, attributes, pgtiou = client_for(live_server).verify_ticket(ticket)
    assert user == "jdupont"
    assert attributes["mail"] == "jean.dupont@univ-montp3.fr"
    assert attributes["displayName"] == "Jean Dupont"
    assert attributes["eduPersonAffiliation"] == ["staff", "employee", "member"]
    assert attributes["eduPersonPrincipalName"].startswith("jdupont@")
    assert attributes["supannEmpId"] == jean.external_id
    assert attributes["isFromNewLogin"] == "false"
    assert "supannMailPerso" not in attributes, "the personal address stays with seuil"
    assert pgtiou is None


def test_cas_2_validation_names_the_user_without_attributes(
    live_server: Any, app: Service, jean: Person
) -> None:
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    user, attributes, _ = CASClient(
        version=2, service_url=APP, server_url=f"{live_server.url}/cas/"
    ).verify_ticket(ticket)
    assert user == "jdupont"
    assert attributes is None


def test_signing_in_on_the_cas_page_issues_a_ticket_from_a_new_login(
    live_server: Any, app: Service, jean: Person
) -> None:
    client = Client()
    page = client.get("/cas/login", {"service": APP})
    assert "Connexion à Espace de cours" in page.content.decode()
    response = client.post(f"/cas/login?service={APP}", {"login": "jdupont", "password": PASSWORD})
    _, attributes, _ = client_for(live_server).verify_ticket(ticket_from(response))
    assert attributes["isFromNewLogin"] == "true"
    assert client.get("/mon-ent/").status_code == 200, "the CAS sign-in is seuil's session"


def test_in_english_the_cas_pages_name_the_service_in_english(
    app: Service, make_person: Callable[..., Person]
) -> None:
    Service.objects.filter(pk=app.pk).update(name_en="Courses")
    page = Client().get("/cas/login", {"service": APP}, HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>Sign in to Courses</h1>" in page.content.decode()
    make_person(status="etudiant", password=PASSWORD, first_name="Léa", last_name="Martin")
    refused = signed_in("lmartin").get("/cas/login", {"service": APP}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert "The service “Courses” is not open to your status." in refused.content.decode()
    french = Client().get("/cas/login", {"service": APP}).content.decode()
    assert "<h1>Connexion à Espace de cours</h1>" in french


def test_an_unregistered_service_gets_an_error_page_never_a_redirect(jean: Person) -> None:
    for client in (Client(), signed_in()):
        response = client.get("/cas/login", {"service": "https://evil.example/steal"})
        assert response.status_code == 400
        assert "Location" not in response
        assert "Service inconnu" in response.content.decode()
    assert not ServiceTicket.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://app.example/moodlex/",
        "http://app.example.evil.example/moodle/",
        "https://app.example/moodle/",
        "http://app.example:8080/moodle/",
        "http://user@app.example/moodle/",
        "http://app.example/moodle/../admin",
    ],
)
def test_a_url_beside_the_registered_prefix_is_not_covered(
    app: Service, jean: Person, url: str
) -> None:
    assert signed_in().get("/cas/login", {"service": url}).status_code == 400


def test_a_replayed_ticket_is_invalid(live_server: Any, app: Service, jean: Person) -> None:
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    cas = client_for(live_server)
    assert cas.verify_ticket(ticket)[0] == "jdupont"
    assert cas.verify_ticket(ticket)[0] is None
    assert failure_code(cas.get_verification_response(ticket)) == "INVALID_TICKET"


def test_a_ticket_presented_for_another_service_is_invalid_and_spent(
    live_server: Any, app: Service, jean: Person
) -> None:
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    elsewhere = client_for(live_server, service=OTHER)
    assert failure_code(elsewhere.get_verification_response(ticket)) == "INVALID_SERVICE"
    assert client_for(live_server).verify_ticket(ticket)[0] is None, "spent by the attempt"


def test_a_ticket_older_than_ten_seconds_is_refused(
    live_server: Any, app: Service, jean: Person
) -> None:
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    ServiceTicket.objects.update(created_at=F("created_at") - timedelta(seconds=11))
    response = client_for(live_server).get_verification_response(ticket)
    assert failure_code(response) == "INVALID_TICKET"
    assert b"expired" in response


def test_a_ticket_nine_seconds_old_still_validates(
    live_server: Any, app: Service, jean: Person
) -> None:
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    ServiceTicket.objects.update(created_at=F("created_at") - timedelta(seconds=9))
    assert client_for(live_server).verify_ticket(ticket)[0] == "jdupont"


@pytest.mark.parametrize("params", [{}, {"ticket": "ST-x"}, {"service": APP}])
def test_a_validation_without_ticket_or_service_is_an_invalid_request(
    live_server: Any, params: dict[str, str]
) -> None:
    response = requests.get(f"{live_server.url}/cas/p3/serviceValidate", params, timeout=10)
    assert response.status_code == 200
    assert failure_code(response.content) == "INVALID_REQUEST"


def test_an_unknown_ticket_is_invalid(live_server: Any, app: Service) -> None:
    for ticket in ["ST-unknown", "PT-x", "garbage <&>", "ST-" + "a" * 5000]:
        response = requests.get(
            f"{live_server.url}/cas/serviceValidate",
            {"ticket": ticket, "service": APP},
            timeout=10,
        )
        assert failure_code(response.content) == "INVALID_TICKET"


@pytest.mark.parametrize("closing", ["locked", "expired", "never-activated"])
def test_a_closed_account_gets_no_ticket(
    app: Service, make_person: Callable[..., Person], closing: str
) -> None:
    if closing == "never-activated":
        make_person()
    else:
        person = make_person(password=PASSWORD, start_date=date(2000, 1, 1))
        if closing == "locked":
            person.account.lock("test")
        else:
            person.end_date = person.start_date + timedelta(days=30)
            person.save()
    response = Client().post(
        f"/cas/login?service={APP}", {"login": "jdupont", "password": PASSWORD}
    )
    assert response.status_code == 200, "the form again, with its message"
    assert not ServiceTicket.objects.exists()


def test_a_status_the_service_is_not_for_gets_a_clear_page_and_no_ticket(
    app: Service, make_person: Callable[..., Person]
) -> None:
    make_person(status="etudiant", password=PASSWORD, first_name="Léa", last_name="Martin")
    client = signed_in("lmartin")
    response = client.get("/cas/login", {"service": APP})
    assert response.status_code == 403
    page = response.content.decode()
    assert "n'est pas ouvert à votre statut" in page
    # It names the statuses the service is for, as the OpenID Connect refusal does.
    assert app.status_labels()
    assert "etudiant" not in app.status_codes()
    assert f"Ce service est réservé à\u00a0: {', '.join(app.status_labels())}." in page
    assert "assistance" in page
    gateway = client.get("/cas/login", {"service": APP, "gateway": "true"})
    assert gateway["Location"] == APP, "gateway: back to the service, without a ticket"
    assert not ServiceTicket.objects.exists()


def test_renew_asks_for_the_password_again(live_server: Any, app: Service, jean: Person) -> None:
    client = signed_in()
    page = client.get("/cas/login", {"service": APP, "renew": "true"})
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()
    sso_ticket = ticket_from(client.get("/cas/login", {"service": APP}))
    url = f"{live_server.url}/cas/p3/serviceValidate"

    def strictly(ticket: str) -> bytes:  # python-cas sends renew to the login page only
        params = {"ticket": ticket, "service": APP, "renew": "true"}
        return requests.get(url, params, timeout=10).content

    response = strictly(sso_ticket)
    assert failure_code(response) == "INVALID_TICKET", "renew=true refuses an SSO ticket"
    fresh = client.post(
        f"/cas/login?service={APP}&renew=true", {"login": "jdupont", "password": PASSWORD}
    )
    user, attributes, _ = client_for(live_server).verify_response(strictly(ticket_from(fresh)))
    assert user == "jdupont"
    assert attributes["isFromNewLogin"] == "true"


def test_gateway_without_a_session_returns_to_the_service_without_a_ticket(
    app: Service,
) -> None:
    response = Client().get("/cas/login", {"service": APP + "?page=2", "gateway": "true"})
    assert response.status_code == 302
    assert response["Location"] == APP + "?page=2"


def test_the_ticket_joins_the_service_query_and_keeps_its_fragment(
    app: Service, jean: Person
) -> None:
    response = signed_in().get("/cas/login", {"service": APP + "course?id=3#top"})
    location = str(response["Location"])
    assert re.fullmatch(re.escape(APP) + r"course\?id=3&ticket=ST-[A-Za-z0-9.-]+#top", location)


def test_the_cas_logout_returns_only_to_a_registered_service(app: Service, jean: Person) -> None:
    client = signed_in()
    from_app = {"Referer": "http://app.example/"}
    assert client.get("/cas/logout", {"service": APP}, headers=from_app)["Location"] == APP
    assert client.get("/mon-ent/").status_code == 302, "signed out of seuil"
    page = signed_in().get("/cas/logout", {"service": "https://evil.example/"}, headers=from_app)
    assert page.status_code == 200
    assert "Vous êtes déconnecté" in page.content.decode()


@pytest.mark.postgres
def test_of_concurrent_validations_exactly_one_wins(
    live_server: Any, app: Service, jean: Person
) -> None:
    if not on_postgres():
        pytest.skip("the race is run on PostgreSQL; SQLite serialises writers")
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    url = f"{live_server.url}/cas/p3/serviceValidate"

    def validate(_: int) -> bool:
        answer = requests.get(url, {"ticket": ticket, "service": APP}, timeout=30)
        return b"authenticationSuccess" in answer.content

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(validate, range(20)))
    assert outcomes.count(True) == 1


# --- Proxy tickets ----------------------------------------------------------------------------


class Callback:
    """A proxy's callback on loopback: records the PGTs handed to it."""

    def __init__(self, status: int = 200) -> None:
        received: dict[str, str] = {}
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                if "pgtIou" in query:
                    received[query["pgtIou"][0]] = query["pgtId"][0]
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/proxy/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def callback(settings: Any, app: Service) -> Iterator[Callback]:
    settings.SEUIL_CAS_LOOPBACK_HTTP = True
    server = Callback()
    CasService.objects.create(
        service=app, prefix=server.url.rsplit("/", 1)[0] + "/", kind=Kind.PROXY_CALLBACK
    )
    yield server
    server.close()


@pytest.fixture
def mail_service() -> Service:
    return register_cas("Messagerie", OTHER)


def test_a_proxy_gets_a_proxy_ticket_for_a_backend_service(
    live_server: Any, callback: Callback, mail_service: Service, jean: Person
) -> None:
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    user, _, pgtiou = client_for(live_server, proxy_callback=callback.url).verify_ticket(ticket)
    assert user == "jdupont"
    assert pgtiou
    assert pgtiou.startswith("PGTIOU-")
    pgt = callback.received[pgtiou]
    assert re.fullmatch(r"PGT-[A-Za-z0-9.-]+", pgt)
    target = client_for(live_server, service=OTHER)
    proxy_ticket = target.get_proxy_ticket(pgt)
    assert re.fullmatch(r"PT-[A-Za-z0-9.-]+", proxy_ticket)
    assert failure_code(target.get_verification_response(proxy_ticket)) == (
        "INVALID_TICKET_SPEC"
    ), "serviceValidate does not validate proxy tickets"
    proxy_ticket = target.get_proxy_ticket(pgt)
    target.url_suffix = "p3/proxyValidate"
    xml = target.get_verification_response(proxy_ticket)
    tree = ET.fromstring(xml)
    assert tree.findtext("cas:authenticationSuccess/cas:user", namespaces=NS) == "jdupont"
    proxies = tree.findall("cas:authenticationSuccess/cas:proxies/cas:proxy", NS)
    assert [p.text for p in proxies] == [callback.url]
    assert target.verify_response(xml)[1]["mail"] == "jean.dupont@univ-montp3.fr"


def test_proxy_validate_also_validates_service_tickets(
    live_server: Any, app: Service, jean: Person
) -> None:
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    cas = client_for(live_server)
    cas.url_suffix = "proxyValidate"
    assert cas.verify_ticket(ticket)[0] == "jdupont"


def test_a_proxy_callback_must_be_https_and_registered(
    live_server: Any, settings: Any, app: Service, jean: Person
) -> None:
    settings.SEUIL_CAS_LOOPBACK_HTTP = True
    cases = {
        "http://app.example/callback": "INVALID_PROXY_CALLBACK",
        "https://unregistered.example/callback": "UNAUTHORIZED_SERVICE_PROXY",
        "http://127.0.0.1:9/unregistered": "UNAUTHORIZED_SERVICE_PROXY",
    }
    client = signed_in()
    for url, code in cases.items():
        ticket = ticket_from(client.get("/cas/login", {"service": APP}))
        response = client_for(live_server, proxy_callback=url).get_verification_response(ticket)
        assert failure_code(response) == code, url
    assert not ProxyGrantingTicket.objects.exists()


def test_a_callback_that_does_not_answer_200_gets_no_pgt(
    live_server: Any, settings: Any, app: Service, jean: Person
) -> None:
    settings.SEUIL_CAS_LOOPBACK_HTTP = True
    refusing = Callback(status=404)
    CasService.objects.create(service=app, prefix=refusing.url, kind=Kind.PROXY_CALLBACK)
    try:
        ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
        cas = client_for(live_server, proxy_callback=refusing.url)
        user, _, pgtiou = cas.verify_ticket(ticket)
    finally:
        refusing.close()
    assert user == "jdupont", "the validation itself succeeds"
    assert pgtiou is None
    assert not ProxyGrantingTicket.objects.exists()


def test_proxy_refusals(
    live_server: Any, callback: Callback, mail_service: Service, jean: Person
) -> None:
    url = f"{live_server.url}/cas/proxy"

    def code(params: dict[str, str]) -> str | None:
        xml = requests.get(url, params, timeout=10).content
        failure = ET.fromstring(xml).find("cas:proxyFailure", NS)
        return None if failure is None else failure.get("code")

    assert code({"targetService": OTHER}) == "INVALID_REQUEST"
    assert code({"pgt": "PGT-forged", "targetService": OTHER}) == "INVALID_TICKET"
    ticket = ticket_from(signed_in().get("/cas/login", {"service": APP}))
    _, _, pgtiou = client_for(live_server, proxy_callback=callback.url).verify_ticket(ticket)
    pgt = callback.received[pgtiou]
    assert code({"pgt": pgt, "targetService": "https://unknown.example/"}) == (
        "UNAUTHORIZED_SERVICE_PROXY"
    )
    mail_service.set_statuses(["etudiant"])  # now for students only, not for Jean
    assert code({"pgt": pgt, "targetService": OTHER}) == "UNAUTHORIZED_SERVICE_PROXY"


def test_signing_out_ends_the_proxy_granting_tickets(
    live_server: Any, callback: Callback, mail_service: Service, jean: Person
) -> None:
    client = signed_in()
    ticket = ticket_from(client.get("/cas/login", {"service": APP}))
    _, _, pgtiou = client_for(live_server, proxy_callback=callback.url).verify_ticket(ticket)
    assert ProxyGrantingTicket.objects.count() == 1
    client.post("/gestion-de-compte/se-deconnecter/")
    assert not ProxyGrantingTicket.objects.exists()
    params = {"pgt": callback.received[pgtiou], "targetService": OTHER}
    xml = requests.get(f"{live_server.url}/cas/proxy", params, timeout=10).content
    assert b'<cas:proxyFailure code="INVALID_TICKET">' in xml


def test_spent_and_expired_tickets_are_deleted_within_minutes(app: Service, jean: Person) -> None:
    client = signed_in()
    ticket_from(client.get("/cas/login", {"service": APP}))
    ServiceTicket.objects.update(created_at=F("created_at") - timedelta(minutes=6))
    # Each worker sweeps at most once a minute (seuil.cas.models.SWEEP): the next issue a
    # minute on sweeps the old ticket.
    with time_machine.travel(timezone.now() + timedelta(minutes=1, seconds=1)):
        ticket_from(client.get("/cas/login", {"service": APP}))
    assert ServiceTicket.objects.count() == 1, "the next issue swept the old one"


def test_a_database_failure_is_an_internal_error_in_xml_not_a_500(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def down(*args: object) -> None:
        raise OperationalError("the database is down")

    monkeypatch.setattr(ServiceTicket.objects, "consume", down)
    with caplog.at_level(logging.WARNING, logger="seuil.cas.views"):
        response = client.get("/cas/p3/serviceValidate", {"ticket": "ST-x", "service": APP})
    assert response.status_code == 200
    assert failure_code(response.content) == "INTERNAL_ERROR"
    # An outage is one warning line, not an error with a traceback (the rush counts those).
    assert [(r.levelname, r.exc_info) for r in caplog.records] == [("WARNING", None)]
    assert "database unavailable" in caplog.records[0].getMessage()


def test_any_other_database_error_in_validation_is_logged_with_its_traceback(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> None:
        raise IntegrityError("a constraint failed")

    monkeypatch.setattr(ServiceTicket.objects, "consume", broken)
    with caplog.at_level(logging.WARNING, logger="seuil.cas.views"):
        response = client.get("/cas/p3/serviceValidate", {"ticket": "ST-x", "service": APP})
    assert failure_code(response.content) == "INTERNAL_ERROR"
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert caplog.records[0].exc_info is not None


@pytest.mark.parametrize("path", ["..;/admin/", "%252e%252e/admin/"])
def test_a_service_or_callback_that_climbs_out_of_its_prefix_gets_nothing(
    app: Service, jean: Person, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Java containers read "..;" as "..", and a proxy decoding once more turns %252e%252e into
    "..": neither stays under the prefix (#21 §4)."""
    client = signed_in()
    assert client.get("/cas/login", {"service": APP + path}).status_code == 400
    callback = "https://app.example/moodle/pgt/"
    CasService.objects.replace_for(app, kind=Kind.PROXY_CALLBACK, prefixes=[callback])
    monkeypatch.setattr("seuil.cas.services.deliver_pgt", lambda *args, **kwargs: True)
    ticket = ticket_from(client.get("/cas/login", {"service": APP}))
    answer = Client().get(
        "/cas/serviceValidate", {"ticket": ticket, "service": APP, "pgtUrl": callback + path}
    )
    assert b"UNAUTHORIZED_SERVICE_PROXY" in answer.content, answer.content
