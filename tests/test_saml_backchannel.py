"""A session that ends without a browser (HR's lock, a password reset…) ends at its SAML SPs too:
each SP whose metadata has a SOAP SingleLogoutService gets a signed LogoutRequest naming the
NameID and the SessionIndex of its assertion, through a queue in the database that retries an SP
that is down, gives up with an audit record, and never sends one session's request twice."""

import threading
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_SOAP

from seuil.audit.models import Action, AuditEvent, Outcome
from seuil.core.hooks import EndedSession
from seuil.core.queue import QueueState
from seuil.people.models import Person
from seuil.saml import backchannel
from seuil.saml.models import BackChannelLogout, PersistentId
from seuil.saml.session import SPS, signed_in_of
from tests.conftest import PASSWORD, free_port
from tests.saml import (
    SP,
    SoapEndpoint,
    authn_request,
    local_service,
    make_sp,
    posted,
    register,
    send,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint() -> Iterator[SoapEndpoint]:
    made = SoapEndpoint()
    yield made
    made.close()


def signed_in_at(sp: SP) -> tuple[Client, str]:
    """A browser signed in to seuil and to `sp`; the SessionIndex of the assertion it got."""
    browser = Client()
    browser.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    request_id, carried = authn_request(sp)
    _, fields = posted(send(browser, carried))
    result = sp.client.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "x"}
    )
    return browser, result.assertion.authn_statement[0].session_index


def signed_in_at_a_registered_sp(
    endpoint: SoapEndpoint, *, redirect_logout: bool = True
) -> tuple[SP, Client, str]:
    """An institution's SP whose SOAP logout is `endpoint`, and a browser signed in to it."""
    sp = make_sp(soap_logout=endpoint.url, redirect_logout=redirect_logout)
    register(sp, service=local_service())
    return sp, *signed_in_at(sp)


def entry_for(sp: SP) -> list[Any]:
    """What a session holds of an SP it signed in to (seuil.saml.session.remember)."""
    return [sp.entity_id, "abc", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", ["_s1"]]


def ended(person: Person, *entries: list[Any], why: str = "lock") -> EndedSession:
    return EndedSession(person.account.pk, "sign-on", {SPS: list(entries)}, why)


def test_a_lock_sends_each_sp_a_signed_logout_naming_its_assertion(
    jean: Person, endpoint: SoapEndpoint
) -> None:
    sp, _, session_index = signed_in_at_a_registered_sp(endpoint)

    jean.account.lock("compte compromis")

    [body] = endpoint.wait()
    request = sp.client.parse_logout_request(body.decode(), BINDING_SOAP)  # verifies the signature
    message = request.message
    assert message.signature is not None
    assert message.issuer.text == "http://127.0.0.1:8000/saml/idp"
    assert message.destination == endpoint.url
    name_id = message.name_id
    assert name_id.text == PersistentId.objects.get(entity_id=sp.entity_id).value
    assert (name_id.name_qualifier, name_id.sp_name_qualifier) == (
        "http://127.0.0.1:8000/saml/idp",
        sp.entity_id,
    )
    assert [index.text for index in message.session_index] == [session_index]
    assert "rsa-sha256" in body.decode()
    row = wait_for(BackChannelLogout, state=QueueState.DONE)
    assert row.why == "lock"
    event = AuditEvent.objects.get(action=Action.SAML_LOGOUT)
    assert (event.outcome, event.detail["sp"]) == (Outcome.SUCCESS, sp.entity_id)


def test_signing_out_tells_an_sp_with_only_a_soap_logout_over_the_back_channel(
    jean: Person, endpoint: SoapEndpoint
) -> None:
    """No frame of the sign-out page can reach it; Shibboleth IdP calls such an SP over SOAP."""
    sp, browser, session_index = signed_in_at_a_registered_sp(endpoint, redirect_logout=False)

    page = browser.post("/gestion-de-compte/se-deconnecter/")

    assert page.status_code == 302, "no frame to show: the usual signed-out message"
    [body] = endpoint.wait()
    request = sp.client.parse_logout_request(body.decode(), BINDING_SOAP)
    assert [index.text for index in request.message.session_index] == [session_index]
    assert wait_for(BackChannelLogout, state=QueueState.DONE).why == "sign-out"
    assert browser.get("/mon-ent/").status_code == 302, "signed out of seuil"


def test_signing_out_gives_an_sp_with_a_redirect_logout_a_frame_and_no_soap_request(
    jean: Person, endpoint: SoapEndpoint
) -> None:
    _, browser, _ = signed_in_at_a_registered_sp(endpoint)

    page = browser.post("/gestion-de-compte/se-deconnecter/")

    assert page.status_code == 200
    assert "/Shibboleth.sso/SLO/Redirect?SAMLRequest=" in page.content.decode()
    assert not BackChannelLogout.objects.exists(), "told once, in the frame"


def wait_for(model: Any, **fields: Any) -> Any:
    for _ in range(500):
        found = model.objects.filter(**fields).first()
        if found is not None:
            return found
        threading.Event().wait(0.02)
    raise AssertionError(f"no {model.__name__} with {fields}")


def test_an_sp_that_is_down_is_retried_with_backoff_then_given_up(jean: Person) -> None:
    down = f"http://127.0.0.1:{free_port()}/Shibboleth.sso/SLO/SOAP"  # nobody listens
    sp = make_sp(soap_logout=down)
    register(sp, service=local_service())
    assert backchannel.queue(
        account_id=jean.account.pk,
        signed_in=signed_in_of({SPS: [entry_for(sp)]}),
        why="password-reset",
    )
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(BackChannelLogout.MAX_ATTEMPTS):
            assert backchannel.drain() == (0, 1)
            row = BackChannelLogout.objects.get()
            assert backchannel.drain() == (0, 0), "not due again before its backoff"
            waits.append(row.due_at - timezone.now())
            clock.shift(row.due_at - timezone.now() + timedelta(seconds=1))
    row = BackChannelLogout.objects.get()
    assert row.state == QueueState.DEAD
    assert row.attempts == BackChannelLogout.MAX_ATTEMPTS
    assert "Connection refused" in row.last_error
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 5, 15, 60)]
    event = AuditEvent.objects.get(action=Action.SAML_LOGOUT)
    assert event.outcome == Outcome.FAILURE
    assert event.detail["result"].startswith("abandoned after 8 attempts")
    assert event.account == jean.account


def test_a_session_reported_ended_twice_is_told_once(jean: Person, endpoint: SoapEndpoint) -> None:
    sp = make_sp(soap_logout=endpoint.url)
    register(sp, service=local_service())
    entry = entry_for(sp)
    for _ in range(2):
        backchannel.queue(
            account_id=jean.account.pk,
            signed_in=signed_in_of({SPS: [entry]}),
            why="expiry",
        )
    assert BackChannelLogout.objects.count() == 1
    for _ in range(2):
        call_command("saml_logout", stdout=StringIO())
    assert len(endpoint.wait()) == 1
    assert BackChannelLogout.objects.get().state == QueueState.DONE


def test_an_sp_without_a_soap_logout_is_skipped_and_recorded(jean: Person) -> None:
    sp = make_sp()  # a Redirect SingleLogoutService only
    register(sp, service=local_service())
    entry = entry_for(sp)
    backchannel.session_ended(ended(jean, entry))
    assert not BackChannelLogout.objects.exists()
    event = AuditEvent.objects.get(action=Action.SAML_LOGOUT)
    assert (event.outcome, event.detail["sp"]) == (Outcome.FAILURE, sp.entity_id)
    assert event.detail["result"].startswith("skipped")


def test_a_federation_sp_is_called_over_https_only(jean: Person) -> None:
    sp = make_sp(soap_logout="http://sp.example.org/Shibboleth.sso/SLO/SOAP")
    register(sp)  # a federation's SP: no service of the institution
    entry = entry_for(sp)
    backchannel.session_ended(ended(jean, entry))
    assert not BackChannelLogout.objects.exists()


def test_the_event_that_ends_the_session_never_waits_for_an_sp(
    jean: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A timeout far longer than the test waits: only a lock that does not wait can pass.
    monkeypatch.setattr(backchannel, "TIMEOUT", 120)
    silent = SoapEndpoint(hang=True)
    try:
        sp = make_sp(soap_logout=silent.url)
        register(sp, service=local_service())
        signed_in_at(sp)
        done = threading.Event()

        def lock() -> None:
            jean.account.lock("compte compromis")
            done.set()

        threading.Thread(target=lock).start()
        assert done.wait(20), "the lock waited for the SP"
        assert silent.holding.wait(10), "the SP was called all the same"
        assert BackChannelLogout.objects.get().state == QueueState.PENDING
    finally:
        silent.close()
