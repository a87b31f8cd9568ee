"""Races over real concurrent HTTP requests against a live server, on SQLite and PostgreSQL."""

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from django.test import Client

from seuil.accounts.models import Account, StateChange
from seuil.activation.models import CharterAcceptance, Sesame
from seuil.audit.models import AuditEvent
from seuil.people.models import Person
from tests.conftest import ACTIVATION_URL, PASSWORD, csrf_token

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def token(page: httpx.Response) -> str:
    return csrf_token(page.text)


def test_fifty_simultaneous_submissions_of_one_sesame_activate_once(
    live_server: Any, make_person: Callable[..., Person], settings: Any
) -> None:
    settings.SEUIL_RATE_LIMIT = (10_000, 60)
    account = make_person().account
    code = Sesame.issue(account)[1]
    start = threading.Barrier(50)

    def submit(number: int) -> tuple[int, str]:
        with httpx.Client(base_url=live_server.url, timeout=120) as browser:
            form = browser.get(ACTIVATION_URL)
            data = {"csrfmiddlewaretoken": token(form), "login": "jdupont", "sesame": code,
                    "password1": f"{PASSWORD}{number:02d}"[:15], "password2": f"{PASSWORD}{number:02d}"[:15],
                    "personal_email": "jean@example.org", "charter": "on"}  # fmt: skip
            start.wait()
            response = browser.post(ACTIVATION_URL, data=data)
            return response.status_code, response.text

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(submit, range(50)))
    statuses = Counter(status for status, _ in results)
    assert statuses == {302: 1, 200: 49}
    assert all(
        "Identifiant ou mot de passe provisoire incorrect" in text
        for status, text in results
        if status == 200
    )
    assert StateChange.objects.filter(account=account).count() == 2
    assert CharterAcceptance.objects.filter(account=account).count() == 1
    assert AuditEvent.objects.filter(action="activation", outcome="success").count() == 1
    assert Account.objects.get(pk=account.pk).activated_at is not None


def test_two_hundred_simultaneous_registrations_of_homonyms_get_distinct_names(
    live_server: Any, admin_user: Account, settings: Any
) -> None:
    session = Client()
    session.force_login(admin_user)
    session_id = session.cookies["sessionid"].value
    page = httpx.get(
        f"{live_server.url}/admin/people/person/add/", headers={"Cookie": f"sessionid={session_id}"}
    )
    csrf = token(page)
    cookie = {"Cookie": f"sessionid={session_id}; csrftoken={page.cookies['csrftoken']}"}
    start = threading.Barrier(50)

    def register(number: int) -> int:
        with httpx.Client(base_url=live_server.url, headers=cookie, timeout=120) as browser:
            data = {"csrfmiddlewaretoken": csrf, "status": "enseignant", "external_id": f"H{number}",
                    "first_name": "Jean", "last_name": "de la Fontaine", "birth_date": "1980-01-01",
                    "start_date": "2026-09-01"}  # fmt: skip
            if number < 50:
                start.wait()
            return browser.post("/admin/people/person/add/", data=data).status_code

    with ThreadPoolExecutor(50) as pool:
        statuses = Counter(pool.map(register, range(200)))
    assert statuses == {302: 200}
    people = Person.objects.select_related("account")
    logins = {p.account.login for p in people}
    mails = {p.account.mail for p in people}
    assert len(logins) == len(mails) == 200
    assert {"jdelafon", "jdelafo9", "jdelaf10", "jdelaf99", "jdela100", "jdela200"} <= logins
    assert "jean.de-la-fontaine200@univ-montp3.fr" in mails
