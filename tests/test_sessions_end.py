"""A session that ends, ends everywhere (issue #21 §1): whatever ends it (a password change, a
reset, a new Sésame, HR's lock, the expiry, the purge, someone else signing in on the browser),
its CAS services get a single-logout request, its proxy-granting tickets stop issuing proxy
tickets, and the OpenID Connect tokens issued under it stop working."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client as Browser
from django.utils import timezone

from seuil.accounts.models import SignOn
from seuil.accounts.services import change_password, reset_password
from seuil.activation.models import Sesame
from seuil.cas.models import ProxyGrantingTicket, ServiceTicket
from seuil.core import hooks
from seuil.lifecycle.services import run as run_lifecycle
from seuil.people.models import Person
from tests.cas import Endpoint, register_cas
from tests.conftest import PASSWORD
from tests.sso import Client, provider_settings, refresh_in, register_client, tokens_in, userinfo_in
from tests.test_cas_single_logout import session_index

pytestmark = pytest.mark.django_db(transaction=True)
NEW = "Zq8vNw3kLp"


@pytest.fixture
def cas_service() -> Iterator[Endpoint]:
    endpoint = Endpoint()
    register_cas("Scolarité", endpoint.url, statuses=("administratif",))
    yield endpoint
    endpoint.close()


@pytest.fixture
def oidc(settings: Any) -> Client:
    provider_settings(settings, "http://testserver")
    return register_client("http://testserver", statuses=("administratif",))


@dataclass
class Held:
    """What one browser session of a person holds at the services."""

    browser: Browser
    ticket: str
    pgt: str
    access: str
    refresh: str


def signed_in_everywhere(login: str, cas: Endpoint, oidc: Client) -> Held:
    browser = Browser()
    answer = browser.post(
        "/gestion-de-compte/se-connecter/", {"login": login, "password": PASSWORD}
    )
    assert answer.status_code == 302, answer.content
    location = browser.get("/cas/login", {"service": cas.url})["Location"]
    ticket = parse_qs(urlsplit(location).query)["ticket"][0]
    row = ServiceTicket.objects.consume(ticket)
    assert row is not None
    pgt = ProxyGrantingTicket.objects.issue(callback=cas.url, granted_by=row)
    tokens = tokens_in(browser, oidc)
    return Held(browser, ticket, pgt, tokens["access_token"], tokens["refresh_token"])


def proxy_ticket(pgt: str, target: str) -> bool:
    answer = Browser().get("/cas/proxy", {"pgt": pgt, "targetService": target})
    return b"proxySuccess" in answer.content


def assert_ended(held: Held, cas: Endpoint, oidc: Client) -> None:
    logout_requests = cas.wait()
    assert [session_index(request) for request in logout_requests] == [held.ticket]
    assert not proxy_ticket(held.pgt, cas.url), "the proxy-granting ticket is void"
    assert userinfo_in(Browser(), held.access).status_code in {401, 403}
    assert refresh_in(Browser(), oidc, held.refresh).status_code == 400
    assert held.browser.get("/mon-ent/").status_code == 302


def assert_alive(held: Held, oidc: Client) -> None:
    assert userinfo_in(Browser(), held.access).status_code == 200
    assert held.browser.get("/mon-ent/").status_code == 200


@pytest.fixture
def person(make_person: Callable[..., Person]) -> Person:
    return make_person(password=PASSWORD, start_date=date(2020, 1, 1))


def test_a_password_change_ends_the_other_sessions_everywhere_and_keeps_its_own(
    person: Person, cas_service: Endpoint, oidc: Client
) -> None:
    here = signed_in_everywhere(person.account.login, cas_service, oidc)
    elsewhere = signed_in_everywhere(person.account.login, cas_service, oidc)
    page = here.browser.post(
        "/gestion-de-compte/changer-mon-mot-de-passe/",
        {"current_password": PASSWORD, "password1": NEW, "password2": NEW},
    )
    assert page.status_code == 302
    assert_ended(elsewhere, cas_service, oidc)
    assert proxy_ticket(here.pgt, cas_service.url), "this session's proxy keeps working"
    assert_alive(here, oidc)


@pytest.mark.parametrize(
    "event",
    ["reset", "sesame", "lock", "expiry", "purge"],
)
def test_each_event_ends_every_session_everywhere(
    event: str, person: Person, cas_service: Endpoint, oidc: Client
) -> None:
    held = signed_in_everywhere(person.account.login, cas_service, oidc)
    account = person.account
    if event == "reset":
        assert reset_password(account=account, password=NEW, via="link", ip="203.0.113.9")
    elif event == "sesame":
        Sesame.issue(account)
    elif event == "lock":
        account.lock("compte compromis")
    elif event == "expiry":
        person.end_date = timezone.localdate() - timedelta(days=60)
        person.save()
        run_lifecycle(today=timezone.localdate())
    elif event == "purge":
        person.purge()
    assert_ended(held, cas_service, oidc)


def test_a_change_made_without_a_session_ends_all_of_them(
    person: Person, cas_service: Endpoint, oidc: Client
) -> None:
    first = signed_in_everywhere(person.account.login, cas_service, oidc)
    change_password(account=person.account, password=NEW, ip="203.0.113.9")
    assert_ended(first, cas_service, oidc)


def test_signing_in_as_someone_else_ends_the_first_persons_session_everywhere(
    person: Person, make_person: Callable[..., Person], cas_service: Endpoint, oidc: Client
) -> None:
    other = make_person(password=PASSWORD, first_name="Anne", start_date=date(2020, 1, 1))
    held = signed_in_everywhere(person.account.login, cas_service, oidc)
    held.browser.post(
        "/cas/login?service=" + cas_service.url,
        {"login": other.account.login, "password": PASSWORD},
    )
    logout_requests = cas_service.wait()
    assert [session_index(request) for request in logout_requests] == [held.ticket]
    assert not proxy_ticket(held.pgt, cas_service.url)
    assert userinfo_in(Browser(), held.access).status_code in {401, 403}
    assert refresh_in(Browser(), oidc, held.refresh).status_code == 400


def test_every_ending_calls_the_registered_handlers_once_with_the_sign_on(
    person: Person, cas_service: Endpoint, oidc: Client
) -> None:
    """The extension point the SAML app plugs its logout into."""
    heard: list[hooks.EndedSession] = []
    hooks.after_session_end(heard.append)
    try:
        held = signed_in_everywhere(person.account.login, cas_service, oidc)
        sign_on = held.browser.session["seuil_sign_on"]
        person.account.lock("compte compromis")
    finally:
        hooks.forget_session_handler(heard.append)
    assert [(e.account_id, e.sign_on, e.why) for e in heard] == [
        (person.account.pk, sign_on, "lock")
    ]
    assert [service for service, _ticket in heard[0].data["seuil_cas_tickets"]] == [cas_service.url]


def test_a_database_gone_half_way_through_an_ending_leaves_every_session_as_it_was(
    person: Person, cas_service: Endpoint, oidc: Client
) -> None:
    """The handlers write in the ending's transaction: when one fails (PostgreSQL crashed
    between the session's rows and the tokens'), nothing is ended here while it lives at a
    service; the person's session and their tokens still work, and no logout was sent."""
    held = signed_in_everywhere(person.account.login, cas_service, oidc)

    def crashed(ended: hooks.EndedSession) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    hooks.after_session_end(crashed)  # last: the tokens' and tickets' handlers ran before it
    try:
        with pytest.raises(OperationalError):
            person.account.lock("compte compromis")
    finally:
        hooks.forget_session_handler(crashed)
    assert SignOn.objects.filter(account=person.account).exists()
    assert held.browser.get("/mon-ent/").status_code == 200
    assert userinfo_in(Browser(), held.access).status_code == 200
    assert ProxyGrantingTicket.objects.exists()
    assert cas_service.wait(timeout=0.5) == []  # no single logout for a session still open


def test_a_handler_that_fails_for_a_bug_is_logged_and_the_session_still_ends_everywhere(
    person: Person, cas_service: Endpoint, oidc: Client, caplog: pytest.LogCaptureFixture
) -> None:
    held = signed_in_everywhere(person.account.login, cas_service, oidc)

    def broken(ended: hooks.EndedSession) -> None:
        raise ValueError("a bug")

    hooks.after_session_end(broken)
    try:
        person.account.lock("compte compromis")
    finally:
        hooks.forget_session_handler(broken)
    assert "a session-end handler failed" in caplog.text
    assert not SignOn.objects.filter(account=person.account).exists()
    assert_ended(held, cas_service, oidc)


def test_a_session_that_outlives_its_maximum_ends_everywhere_at_its_next_request(
    person: Person, cas_service: Endpoint, oidc: Client, settings: Any
) -> None:
    settings.SEUIL_SESSION_MAX_HOURS = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        held = signed_in_everywhere(person.account.login, cas_service, oidc)
        for minutes in (20, 40, 60, 61):  # active, so never idle; past its hour at the last
            clock.move_to(start + timedelta(minutes=minutes))
            held.browser.get("/mon-ent/")
        assert_ended(held, cas_service, oidc)


def test_an_account_closed_by_its_dates_ends_its_sessions_at_their_next_request(
    person: Person, cas_service: Endpoint, oidc: Client
) -> None:
    """Between two runs of the job, the state computed at the request closes the account: the
    session it finds ends everywhere, not only in this browser."""
    held = signed_in_everywhere(person.account.login, cas_service, oidc)
    person.end_date = timezone.localdate() - timedelta(days=60)
    person.save()
    assert held.browser.get("/mon-ent/").status_code == 302
    assert_ended(held, cas_service, oidc)
