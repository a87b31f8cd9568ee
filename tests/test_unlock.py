"""The owner's way out of a lockout: a notice with an unlock link, mailed to the confirmed
personal address when failures lock the account (issue 10 §4, issue 15 §3). Runs with the
counters in the database and in Redis."""

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from seuil.accounts.links import unlock_token
from seuil.audit.models import AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from seuil.security import throttle
from seuil.security.logs import redact
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)  # mail leaves after the commit
SIGN_IN = "/gestion-de-compte/se-connecter/"
UNLOCK = "/gestion-de-compte/deverrouiller/"
NETWORK = "127.0.0.0/24"  # the test client's


def sign_in(client: Client, password: str, login: str = "jdupont") -> int:
    return client.post(SIGN_IN, {"login": login, "password": password}).status_code


def lock(client: Client, login: str = "jdupont", times: int = 5) -> None:
    for number in range(times):
        sign_in(client, f"Wrong{number}x", login)


def link_in(body: Any) -> str:
    match = re.search(r"https?://\S+(/gestion-de-compte/deverrouiller/[^/\s]+/)", str(body))
    assert match, body
    return match.group(1)


def test_it_mails_the_owner_when_failures_lock_the_account(
    lockout_backend: str, client: Client, jean: Person
) -> None:
    lock(client, times=4)
    assert not mail.outbox, "no notice before the lock"
    lock(client, times=1)
    [notice] = mail.outbox
    assert notice.to == ["jean@example.org"]
    assert (
        "Après 5 essais erronés depuis le réseau 127.0.0.0/24, l'accès au compte jdupont depuis ce"
        " réseau est suspendu" in notice.body
    )
    assert "(Europe/Paris). Depuis un autre réseau, votre mot de passe fonctionne." in notice.body
    until = timezone.localtime(throttle.locked_until("jdupont"))
    assert f"jusqu'au {until.day} " in notice.body
    assert f"{until.hour} h {until:%M}" in notice.body
    assert "Si ce n'était pas vous" in notice.body
    assert (
        "After 5 wrong attempts from the network 127.0.0.0/24, access to the account jdupont from"
        " that network is suspended until" in notice.body
    )
    assert PASSWORD not in notice.body
    assert "Wrong" not in notice.body
    assert link_in(notice.body)


def test_the_link_unlocks_the_account_and_the_owner_signs_in(
    lockout_backend: str, client: Client, jean: Person
) -> None:
    lock(client)
    assert sign_in(client, PASSWORD) == 200, "locked: the right password is refused"
    page = client.get(link_in(mail.outbox[0].body), follow=True)
    assert page.redirect_chain == [(UNLOCK, 302)], "the token leaves the address bar"
    assert "L'accès au compte <strong>jdupont</strong> est suspendu" in page.content.decode()
    assert throttle.is_locked("jdupont"), "a GET (a mail scanner) unlocks nothing"
    done = client.post(UNLOCK, follow=True)
    assert done.redirect_chain == [(SIGN_IN, 302)]
    assert "Votre compte est déverrouillé" in done.content.decode()
    assert not throttle.is_locked("jdupont")
    assert sign_in(client, PASSWORD) == 302
    event = AuditEvent.objects.get(action="self-unlocked")
    assert event.account == jean.account
    assert event.outcome == "success"


def test_a_link_serves_once(lockout_backend: str, client: Client, jean: Person) -> None:
    lock(client)
    link = link_in(mail.outbox[0].body)
    client.get(link)
    client.post(UNLOCK)
    lock(client)  # locked again, within the first lock's quarter of an hour
    other = Client()
    other.get(link)
    assert throttle.is_locked("jdupont")
    again = other.post(UNLOCK)
    assert "Ce lien n'est plus valable" in again.content.decode()
    assert AuditEvent.objects.filter(action="self-unlocked").count() == 1


def test_a_link_is_void_once_the_lock_has_ended(
    lockout_backend: str, client: Client, jean: Person
) -> None:
    lock(client)
    link = link_in(mail.outbox[0].body)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        client.get(link)
        assert "Ce lien n'est plus valable" in client.get(UNLOCK).content.decode()
        assert "Ce lien n'est plus valable" in client.post(UNLOCK).content.decode()
    assert not AuditEvent.objects.filter(action="self-unlocked").exists()


@pytest.mark.parametrize("token", ["", "abc", "x" * 600, "eyJsb2dpbiI6ImpkdXBvbnQifQ:1:2"])
def test_a_forged_or_damaged_link_unlocks_nothing(
    lockout_backend: str, client: Client, jean: Person, token: str
) -> None:
    lock(client)
    if token:
        client.get(f"{UNLOCK}{token}/")
    response = client.post(UNLOCK)
    assert response.status_code == 200
    assert "Ce lien n'est plus valable" in response.content.decode()
    assert throttle.is_locked("jdupont")


def test_a_link_made_for_another_account_does_not_unlock_this_one(
    lockout_backend: str, client: Client, jean: Person, make_person: Callable[..., Person]
) -> None:
    make_person(password=PASSWORD, first_name="Anne", last_name="Martin")
    lock(client)
    lock(client, login="amartin")
    until = throttle.lock_end("jdupont", NETWORK)
    assert until is not None
    client.get(f"{UNLOCK}{unlock_token(login='jdupont', network=NETWORK, until=until)}/")
    client.post(UNLOCK)
    assert not throttle.is_locked("jdupont")
    assert throttle.is_locked("amartin")


def test_an_unlock_lifts_the_lock_but_gives_a_guesser_no_fresh_start(
    lockout_backend: str, client: Client, jean: Person
) -> None:
    lock(client)
    client.get(link_in(mail.outbox[0].body))
    client.post(UNLOCK)
    lock(client)  # five more: the tenth failure arms the next step, an hour
    seconds = AuditEvent.objects.filter(action="lockout").values_list("detail__seconds", flat=True)
    assert sorted(seconds) == [900, 3600]
    assert sign_in(client, PASSWORD) == 200, "locked again"


def test_a_whole_account_lock_is_told_as_such_and_its_link_lifts_it(
    lockout_backend: str, jean: Person, settings: Any
) -> None:
    settings.SEUIL_LOCKOUT_ACCOUNT, settings.SEUIL_LOCKOUT_NETWORKS = (8, 3600), 2
    lock(Client(REMOTE_ADDR="192.0.2.7"), times=4)
    lock(Client(REMOTE_ADDR="198.51.100.7"), times=4)
    [notice] = mail.outbox
    assert "Après 8 essais erronés depuis plusieurs réseaux, le compte jdupont" in notice.body
    assert "Jusque-là, même le bon mot de passe est refusé." in notice.body
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    assert sign_in(elsewhere, PASSWORD) == 200, "the whole account is locked"
    elsewhere.get(link_in(notice.body))
    elsewhere.post(UNLOCK)
    assert sign_in(elsewhere, PASSWORD) == 302


def test_of_two_concurrent_posts_of_one_link_one_unlocks(
    lockout_backend: str, jean: Person, client: Client
) -> None:
    lock(client)
    link, start = link_in(mail.outbox[0].body), threading.Barrier(2)
    browsers = [Client(), Client()]
    for browser in browsers:
        browser.get(link)

    def post(browser: Client) -> int:
        start.wait()
        try:
            return browser.post(UNLOCK).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(post, browsers))
    assert codes == [200, 302]
    assert AuditEvent.objects.filter(action="self-unlocked").count() == 1


def test_no_notice_without_a_confirmed_address_or_for_an_unknown_login(
    lockout_backend: str, client: Client, make_person: Callable[..., Person]
) -> None:
    person = make_person(password=PASSWORD)
    person.account.pending_email = "jean@example.org"  # given, not confirmed
    person.account.save()
    lock(client)
    lock(client, login="nobody")
    assert throttle.is_locked("jdupont")
    assert throttle.is_locked("nobody")
    assert not mail.outbox
    assert not OutgoingMail.objects.exists()


def test_one_notice_a_quarter_of_an_hour_however_many_networks_lock_it(
    lockout_backend: str, jean: Person
) -> None:
    for network in range(1, 4):
        lock(Client(REMOTE_ADDR=f"192.0.{network}.7"))
    assert len(mail.outbox) == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        lock(Client(REMOTE_ADDR="192.0.9.7"))
    assert len(mail.outbox) == 2


def test_eight_notices_a_day_at_most(lockout_backend: str, jean: Person) -> None:
    start = timezone.now()
    for quarter in range(10):
        with time_machine.travel(start + timedelta(minutes=16 * quarter)):
            lock(Client(REMOTE_ADDR=f"192.0.{quarter}.7"))
    assert len(mail.outbox) == 8


def test_an_unknown_login_and_a_real_one_get_the_same_answer_when_they_lock(
    lockout_backend: str, client: Client, jean: Person
) -> None:
    answers = []
    for login in ("jdupont", "nobody"):
        for number in range(5):
            response = client.post(SIGN_IN, {"login": login, "password": f"Wrong{number}x"})
        answers.append(response.content.decode().replace(login, "LOGIN"))
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", answers[0]) == strip.sub("", answers[1])


def test_a_link_not_made_here_gets_the_void_page_and_no_session(client: Client) -> None:
    response = client.get(f"{UNLOCK}not-a-token/")
    assert "Ce lien n'est plus valable" in response.content.decode()
    assert not response.cookies.get("sessionid")
    assert client.put(UNLOCK).status_code == 405


def test_the_unlock_token_is_kept_out_of_logs() -> None:
    assert redact("Bad Request: /gestion-de-compte/deverrouiller/eJwSecret:1a:2b/") == (
        "Bad Request: /gestion-de-compte/deverrouiller/…/"
    )
