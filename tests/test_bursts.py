"""Bursts against a threaded live server, on SQLite and PostgreSQL: the counters are counted
before the secret is checked, and a single-use grant is spent by a compare-and-set."""

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from seuil.accounts.models import Account
from seuil.audit.models import AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from seuil.recovery.tokens import reset_tokens
from seuil.security import throttle
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
SIGN_IN = "/gestion-de-compte/se-connecter/"
FORGOT = "/gestion-de-compte/mot-de-passe-oublie/"
BURST = 30
STREET = "Dans quelle rue avez-vous grandi ?"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    settings.SEUIL_RATE_LIMIT = (10_000, 60)


def token(page: httpx.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


class Gate:
    """Holds the secret checks of the first BURST - 1 attempts until the last one is answered:
    the widest race there is, made certain rather than timed (the live server runs in this
    process). A design that counts after checking lets the last, right secret in; one that counts
    before checking cannot."""

    def __init__(self) -> None:
        self.parked = 0
        self.closed = False
        self.lock = threading.Lock()
        self.release = threading.Event()

    def wrap(self, check: Callable[[], Any]) -> Callable[[], Any]:
        def gated() -> Any:
            with self.lock:
                parking = not self.closed
                self.parked += parking
            if parking:
                self.release.wait(60)
            return check()

        return gated


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    gate, attempt = Gate(), throttle.attempt

    def gated(key: str, check: Callable[[], Any], **facts: Any) -> Any:
        return attempt(key, gate.wrap(check), **facts)

    monkeypatch.setattr(throttle, "attempt", gated)
    return gate


def burst(
    url: str,
    prepare: Callable[[httpx.Client, int], dict[str, str]],
    base: str,
    gate: Gate | None = None,
) -> list[httpx.Response]:
    """BURST clients prepare their session, wait for each other, then post at once. With a gate,
    the last one posts once each of the others is answered or held in its check."""
    start = threading.Barrier(BURST)
    answered = 0

    def one(number: int) -> httpx.Response:
        nonlocal answered
        with httpx.Client(base_url=base, timeout=120) as browser:
            data = prepare(browser, number)
            start.wait()
            if gate is None:
                return browser.post(url, data=data)
            if number < BURST - 1:
                response = browser.post(url, data=data)
                with gate.lock:
                    answered += 1
                return response
            try:
                deadline = time.monotonic() + 60
                while gate.parked + answered < BURST - 1:
                    assert time.monotonic() < deadline, "the others never reached their check"
                    time.sleep(0.01)
                with gate.lock:
                    gate.closed = True
                return browser.post(url, data=data)
            finally:
                gate.release.set()

    with ThreadPoolExecutor(BURST) as pool:
        return list(pool.map(one, range(BURST)))


def test_a_burst_of_wrong_passwords_cannot_outrun_the_lockout(
    lockout_backend: str, live_server: Any, make_person: Callable[..., Person], gate: Gate
) -> None:
    """In the database and in Redis (one script, which Redis runs atomically)."""
    make_person(password=PASSWORD)

    def prepare(browser: httpx.Client, number: int) -> dict[str, str]:
        password = PASSWORD if number == BURST - 1 else f"Wrong{number}x"
        csrf = token(browser.get(SIGN_IN))
        return {"csrfmiddlewaretoken": csrf, "login": "jdupont", "password": password}

    results = burst(SIGN_IN, prepare, live_server.url, gate)
    assert [r.status_code for r in results] == [200] * BURST, "nobody gets in"
    assert not AuditEvent.objects.filter(action="sign-in", outcome="success").exists()
    failures = AuditEvent.objects.filter(action="sign-in", outcome="failure")
    assert failures.count() == BURST
    # Counted before checked: only the first step's attempts met an open door, however many
    # were in flight at once; checked before counted, all 29 wrong ones would have.
    first_step = settings.SEUIL_LOCKOUT_STEPS[0][0]
    assert failures.filter(detail__locked=False).count() == first_step


def test_a_burst_of_wrong_answers_cannot_outrun_the_three_answers_rule(
    live_server: Any, make_person: Callable[..., Person], gate: Gate
) -> None:
    account = make_person(password=PASSWORD).account
    account.secret_question = STREET
    account.secret_answer = make_password("rue des lilas")
    account.save()

    def prepare(browser: httpx.Client, number: int) -> dict[str, str]:
        browser.post(FORGOT, data={"csrfmiddlewaretoken": token(browser.get(FORGOT)),
                                   "identifier": "jdupont"})  # fmt: skip
        answer = "Rue des Lilas" if number == BURST - 1 else f"rue numero {number}"
        csrf = token(browser.get(FORGOT + "question/"))
        return {"csrfmiddlewaretoken": csrf, "question": STREET, "answer": answer}

    results = burst(FORGOT + "question/", prepare, live_server.url, gate)
    assert [r.status_code for r in results] == [200] * BURST, "no answer opens the reset page"


def test_a_reset_link_works_once_under_thirty_concurrent_sessions(
    live_server: Any, make_person: Callable[..., Person]
) -> None:
    account = make_person(password=PASSWORD).account
    account.recovery_email = "jean@example.org"
    account.save()
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    link = f"/gestion-de-compte/nouveau-mot-de-passe/{uid}/{reset_tokens.make_token(account)}/"

    def prepare(browser: httpx.Client, number: int) -> dict[str, str]:
        page = browser.get(link, follow_redirects=True)
        password = f"Nouveau{number:02d}Kq7z"
        return {"csrfmiddlewaretoken": token(page), "password1": password, "password2": password}

    results = burst("/gestion-de-compte/nouveau-mot-de-passe/", prepare, live_server.url)
    assert Counter(r.status_code for r in results) == {200: 1, 400: BURST - 1}
    winner = next(n for n, r in enumerate(results) if r.status_code == 200)
    assert Account.objects.get(pk=account.pk).check_password(f"Nouveau{winner:02d}Kq7z")
    assert AuditEvent.objects.filter(action="password-reset").count() == 1
    notices = OutgoingMail.objects.filter(kind="accounts.notice", context__event="password-reset")
    assert notices.count() == 1


def test_a_burst_of_reset_requests_sends_three_links_at_most(
    live_server: Any, make_person: Callable[..., Person]
) -> None:
    """The cap was a count of queued links, and the link is queued after the response: every
    request of a burst saw none and sent one (10 of 30 with the cap at 3)."""
    account = make_person(password=PASSWORD).account
    account.recovery_email = "jean@example.org"
    account.save()

    def prepare(browser: httpx.Client, number: int) -> dict[str, str]:
        return {"csrfmiddlewaretoken": token(browser.get(FORGOT)), "identifier": "jdupont"}

    results = burst(FORGOT, prepare, live_server.url)
    assert {r.status_code for r in results} == {302}, "every request gets the same answer"
    sent = AuditEvent.objects.filter(action="reset-requested", outcome="success")
    assert sent.count() == 3
