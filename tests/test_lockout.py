"""The progressive lockout per account and client network (5 failures lock 15 min, 10 lock 1 h,
20 lock 24 h), and of the whole account after 100 failures from 3 networks.

It runs twice: with the counters in the database, and in Redis."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from seuil.audit.models import AuditEvent
from seuil.people.models import Person
from seuil.security import throttle
from seuil.security.models import Lockout
from tests.conftest import ACTIVATION_URL, activation_form, without_csrf

pytestmark = pytest.mark.django_db


def fail(client: Client, login: str, times: int) -> None:
    for _ in range(times):
        client.post(ACTIVATION_URL, activation_form(login, "WRONG-WRON-WRON-G"))


def test_five_failures_lock_the_account_for_fifteen_minutes(
    lockout_backend: str, client: Client, with_sesame: tuple[Person, str]
) -> None:
    _, sesame = with_sesame
    fail(client, "jdupont", 5)
    locked = client.post(ACTIVATION_URL, activation_form("jdupont", sesame))
    assert locked.status_code == 200, "the right Sésame is refused while locked"
    assert "Identifiant ou mot de passe provisoire incorrect" in locked.content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert client.post(ACTIVATION_URL, activation_form("jdupont", sesame)).status_code == 302
    assert AuditEvent.objects.filter(action="lockout", actor="jdupont").count() == 1


def test_four_failures_do_not_lock(
    lockout_backend: str, client: Client, with_sesame: tuple[Person, str]
) -> None:
    fail(client, "jdupont", 4)
    assert (
        client.post(ACTIVATION_URL, activation_form("jdupont", with_sesame[1])).status_code == 302
    )


def test_a_locked_account_gets_exactly_the_answer_of_a_wrong_secret(
    lockout_backend: str, client: Client, with_sesame: tuple[Person, str]
) -> None:
    fail(client, "jdupont", 5)
    locked = client.post(
        ACTIVATION_URL, activation_form("jdupont", with_sesame[1])
    ).content.decode()
    wrong = client.post(
        ACTIVATION_URL, activation_form("jdupont", "ABCD-EFGH-JKMN-P")
    ).content.decode()
    assert without_csrf(locked) == without_csrf(wrong)


def test_the_lock_grows_with_the_failures_and_starts_over_after_the_longest(
    lockout_backend: str, rf: Any
) -> None:
    """Each step arms once: 5 failures lock 15 min, 5 more after it 1 h, 10 more 24 h; then the
    count starts over, so nobody can keep re-arming the longest lock."""
    request, now = rf.post("/"), timezone.now()
    for failures, minutes in [(5, 15), (5, 60), (10, 1440), (5, 15)]:
        with time_machine.travel(now, tick=False):
            for _ in range(failures):
                throttle.attempt(
                    "jdupont", lambda: None, action="activation", ip=request.META["REMOTE_ADDR"]
                )
            until = throttle.locked_until("jdupont")
        assert until is not None
        assert abs((until - now) - timedelta(minutes=minutes)) < timedelta(seconds=2)
        now = until + timedelta(seconds=1)


def test_failures_during_a_lock_do_not_rearm_it(lockout_backend: str, rf: Any) -> None:
    request, now = rf.post("/"), timezone.now()
    with time_machine.travel(now, tick=False):
        for _ in range(5):
            throttle.attempt(
                "jdupont", lambda: None, action="activation", ip=request.META["REMOTE_ADDR"]
            )
    with time_machine.travel(now + timedelta(minutes=14), tick=False):
        for _ in range(50):
            throttle.attempt(
                "jdupont", lambda: None, action="activation", ip=request.META["REMOTE_ADDR"]
            )
    with time_machine.travel(now + timedelta(minutes=15, seconds=1), tick=False):
        assert not throttle.is_locked("jdupont")


def test_the_steps_are_configurable(lockout_backend: str, settings: Any) -> None:
    settings.SEUIL_LOCKOUT_STEPS = [(3, 60)]
    for _ in range(3):
        throttle.attempt("jdupont", lambda: None, action="activation", ip="127.0.0.1")
    assert throttle.is_locked("jdupont")
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert not throttle.is_locked("jdupont")


def test_a_success_resets_the_counter(
    lockout_backend: str, client: Client, with_sesame: tuple[Person, str]
) -> None:
    fail(client, "jdupont", 4)
    assert throttle.attempt("jdupont", lambda: "ok", action="activation", ip="127.0.0.1") == "ok"
    fail(client, "jdupont", 4)
    assert (
        client.post(ACTIVATION_URL, activation_form("jdupont", with_sesame[1])).status_code == 302
    )


def test_unknown_logins_are_counted_like_known_ones(lockout_backend: str, client: Client) -> None:
    fail(client, "nobody12", 5)
    assert throttle.is_locked("nobody12")


def test_hr_unlocks_from_the_admin(
    lockout_backend: str, admin_client: Client, client: Client, with_sesame: tuple[Person, str]
) -> None:
    person, sesame = with_sesame
    account = person.account
    fail(client, "jdupont", 5)
    assert (
        "jdupont" in admin_client.get("/admin/accounts/account/", {"q": "jdupont"}).content.decode()
    )
    admin_client.post(
        "/admin/accounts/account/", {"action": "unlock", "_selected_action": [account.pk]}
    )
    assert not throttle.is_locked("jdupont")
    assert AuditEvent.objects.filter(action="unlocked", account=account, actor="admin").exists()
    assert client.post(ACTIVATION_URL, activation_form("jdupont", sesame)).status_code == 302


def test_failures_are_audited_without_the_secret(
    lockout_backend: str, client: Client, with_sesame: tuple[Person, str]
) -> None:
    client.post(ACTIVATION_URL, activation_form("jdupont", "WRONG-WRON-WRON-G"))
    event = AuditEvent.objects.get(action="activation", outcome="failure")
    assert event.actor == "jdupont"
    assert "WRONG" not in str(event.detail)


def test_a_stranger_locks_the_account_only_for_his_own_network(
    lockout_backend: str, client: Client, with_sesame: tuple[Person, str]
) -> None:
    _, sesame = with_sesame
    for _ in range(25):
        client.post(
            ACTIVATION_URL,
            activation_form("jdupont", "WRONG-WRON-WRON-G"),
            REMOTE_ADDR="203.0.113.5",
        )
    elsewhere = client.post(
        ACTIVATION_URL, activation_form("jdupont", sesame), REMOTE_ADDR="198.51.100.20"
    )
    assert elsewhere.status_code == 302, "the owner, on another network, gets in"


def test_ninety_nine_failures_from_three_networks_leave_the_owner_in(
    lockout_backend: str, rf: Any
) -> None:
    networks = ["203.0.113.5", "198.51.100.5", "192.0.2.5"]
    for n in range(99):
        request = rf.post("/", REMOTE_ADDR=networks[n % 3])
        with time_machine.travel(timezone.now() + timedelta(days=2 * n), tick=False):
            throttle.attempt(
                "jdupont", lambda: None, action="activation", ip=request.META["REMOTE_ADDR"]
            )
    owner = rf.post("/", REMOTE_ADDR="100.64.0.1")
    assert (
        throttle.attempt("jdupont", lambda: "ok", action="activation", ip=owner.META["REMOTE_ADDR"])
        == "ok"
    )


def test_a_hundred_failures_spread_over_three_networks_lock_everywhere(
    lockout_backend: str, rf: Any
) -> None:
    now = timezone.now()
    for n in range(100):  # each network's own steps lock it first; time moves past each lock
        request = rf.post("/", REMOTE_ADDR=["203.0.113.5", "198.51.100.5", "192.0.2.5"][n % 3])
        with time_machine.travel(now + timedelta(days=n), tick=False):
            throttle.attempt(
                "jdupont", lambda: None, action="activation", ip=request.META["REMOTE_ADDR"]
            )
    owner = rf.post("/", REMOTE_ADDR="100.64.0.1")
    with time_machine.travel(now + timedelta(days=99, minutes=30), tick=False):
        assert (
            throttle.attempt(
                "jdupont", lambda: "ok", action="activation", ip=owner.META["REMOTE_ADDR"]
            )
            is None
        )
    with time_machine.travel(now + timedelta(days=99, minutes=61), tick=False):
        assert (
            throttle.attempt(
                "jdupont", lambda: "ok", action="activation", ip=owner.META["REMOTE_ADDR"]
            )
            == "ok"
        )


def test_an_unknown_identifier_is_kept_as_a_keyed_hash(
    lockout_backend: str, client: Client
) -> None:
    """A Sésame or a password typed as the login must not land in the audit log or the counters."""
    client.post(ACTIVATION_URL, activation_form("ABCD-EFGH-JKMN-P", "WRONG-WRON-WRON-G"))
    event = AuditEvent.objects.get(action="activation", outcome="failure")
    assert event.actor.startswith("#")
    assert "abcd" not in event.actor.lower()
    assert event.actor == "#" + throttle.subject("abcd-efgh-jkmn-p")[:16]
    assert all("abcd" not in key for key in Lockout.objects.values_list("key", flat=True))
