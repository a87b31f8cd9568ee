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
from django.contrib.auth.hashers import make_password
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from seuil.accounts.models import Account
from seuil.audit.models import AuditEvent
from seuil.mailer.models import OutgoingMail
from seuil.people.models import Person
from seuil.recovery.tokens import reset_tokens

pytestmark = pytest.mark.django_db(transaction=True)
SIGN_IN = "/gestion-de-compte/se-connecter/"
FORGOT = "/gestion-de-compte/mot-de-passe-oublie/"
STRONG = "Lbmx4kr7Tq"
BURST = 30
STREET = "Dans quelle rue avez-vous grandi ?"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    settings.SEUIL_RATE_LIMIT = (10_000, 60)


def token(page: httpx.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def burst(
    url: str, prepare: Callable[[httpx.Client, int], dict[str, str]], base: str
) -> list[httpx.Response]:
    """BURST clients prepare their session, wait for each other, then post at once; the last one
    (the right secret) posts 150 ms after the others (30 ms in the attack; more here so that a
    loaded test machine has counted the others' arrival, while their checks, 30 Argon2 hashes on
    two cores, are still running)."""
    start = threading.Barrier(BURST)

    def one(number: int) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=120) as browser:
            data = prepare(browser, number)
            start.wait()
            if number == BURST - 1:
                time.sleep(0.15)
            return browser.post(url, data=data)

    with ThreadPoolExecutor(BURST) as pool:
        return list(pool.map(one, range(BURST)))


def test_a_burst_of_wrong_passwords_cannot_outrun_the_lockout(
    live_server: Any, make_person: Callable[..., Person]
) -> None:
    make_person(password=STRONG)

    def prepare(browser: httpx.Client, number: int) -> dict[str, str]:
        password = STRONG if number == BURST - 1 else f"Wrong{number}x"
        csrf = token(browser.get(SIGN_IN))
        return {"csrfmiddlewaretoken": csrf, "login": "jdupont", "password": password}

    results = burst(SIGN_IN, prepare, live_server.url)
    assert [r.status_code for r in results] == [200] * BURST, "nobody gets in"
    assert not AuditEvent.objects.filter(action="sign-in", outcome="success").exists()
    assert AuditEvent.objects.filter(action="sign-in", outcome="failure").count() == BURST


def test_a_burst_of_wrong_answers_cannot_outrun_the_three_answers_rule(
    live_server: Any, make_person: Callable[..., Person]
) -> None:
    account = make_person(password=STRONG).account
    account.secret_question = STREET
    account.secret_answer = make_password("rue des lilas")
    account.save()

    def prepare(browser: httpx.Client, number: int) -> dict[str, str]:
        browser.post(FORGOT, data={"csrfmiddlewaretoken": token(browser.get(FORGOT)),
                                   "identifier": "jdupont"})  # fmt: skip
        answer = "Rue des Lilas" if number == BURST - 1 else f"rue numero {number}"
        csrf = token(browser.get(FORGOT + "question/"))
        return {"csrfmiddlewaretoken": csrf, "question": STREET, "answer": answer}

    results = burst(FORGOT + "question/", prepare, live_server.url)
    assert [r.status_code for r in results] == [200] * BURST, "no answer opens the reset page"


def test_a_reset_link_works_once_under_thirty_concurrent_sessions(
    live_server: Any, make_person: Callable[..., Person]
) -> None:
    account = make_person(password=STRONG).account
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
