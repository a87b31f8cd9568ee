"""One write path: every change the outside world sees of an account or its person leaves an
AccountChange row in the same transaction, and registered callbacks hear of it after the commit."""

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from seuil.accounts.models import Account, AccountChange, What
from seuil.core import hooks
from seuil.people.importing import parse_people_csv
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
HEADER = "status;external_id;first_name;last_name;birth_date;start_date;end_date\n"


def feed(count: int, *, last_name: str = "Martin", end: str = "2027-06-30") -> list[Person]:
    lines = [
        f"etudiant;E{n:06d};Prénom{n};{last_name};2004-01-01;2026-09-01;{end}" for n in range(count)
    ]
    people, errors = parse_people_csv((HEADER + "\n".join(lines)).encode())
    assert errors == []
    return people


def changes() -> Counter[str]:
    return Counter(AccountChange.objects.values_list("what", flat=True))


def noon(day: date) -> Any:
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=PARIS), tick=False)


def test_an_import_of_1000_people_and_a_nightly_run_count_their_changes() -> None:
    with noon(date(2026, 8, 1)):
        Person.objects.import_rows(feed(1000))
        assert changes() == {What.REGISTER: 1000}
        Person.objects.import_rows(feed(1000))
        assert changes() == {What.REGISTER: 1000}, "the same feed again changes nothing"
        AccountChange.objects.all().delete()
        renamed = feed(1000)
        for person in renamed[:10]:
            person.last_name = "Durand"
        Person.objects.import_rows(renamed)
        assert changes() == {What.NAMES: 10}
        AccountChange.objects.all().delete()
    with noon(date(2026, 8, 25)):  # within SEUIL_EARLY_DAYS of the start: pre-created → created
        call_command("run_lifecycle", stdout=StringIO(), stderr=StringIO())
    assert changes() == {What.STATE: 1000}
    assert AccountChange.objects.values("account").distinct().count() == 1000
    with noon(date(2026, 8, 26)):
        call_command("run_lifecycle", stdout=StringIO(), stderr=StringIO())
    assert changes() == {What.STATE: 1000}, "a night without transitions writes nothing"


def test_each_named_change_leaves_one_row(make_person: Callable[..., Person]) -> None:
    person = make_person(personal_email="jean@example.org")
    account = person.account
    assert changes() == {What.REGISTER: 1}

    def after(what: str, change: Callable[[], object]) -> None:
        AccountChange.objects.all().delete()
        change()
        assert list(AccountChange.objects.values_list("account_id", "what")) == [(account.pk, what)]

    hashed = make_password(PASSWORD)
    after(What.ACTIVATE, lambda: account.activate(password_hash=hashed, email="", question="q", answer_hash="a"))  # fmt: skip
    after(What.PASSWORD, lambda: account.replace_password("Vrt9-Kpq3x"))  # change and reset
    account.set_recovery(pending_email="neuf@example.org")
    after(What.RECOVERY, lambda: Account.confirm_email(account.email_token()))
    after(What.LOCK, lambda: account.lock("enquête"))
    after(What.LOCK, account.unlock)
    person = Person.objects.get(pk=person.pk)
    person.first_name = "Jeanne"
    after(What.NAMES, person.save)
    after(What.PURGE, person.purge)


def test_signing_in_writes_no_change_but_a_hash_upgrade_does(
    make_person: Callable[..., Person], settings: Any
) -> None:
    account = make_person(password=PASSWORD).account
    AccountChange.objects.all().delete()
    client = Client()
    form = {"login": account.login, "password": PASSWORD}
    assert client.post("/gestion-de-compte/se-connecter/", form).status_code == 302
    assert Account.objects.get(pk=account.pk).last_login is not None
    assert changes() == {}, "last_login is not published"
    settings.SEUIL_ARGON2_MEMORY_KIB += 1024  # the next check upgrades the hash
    assert Client().post("/gestion-de-compte/se-connecter/", form).status_code == 302
    assert changes() == {What.PASSWORD: 1}


def test_a_bulk_update_records_and_an_unpublished_one_does_not(
    make_person: Callable[..., Person],
) -> None:
    accounts = [make_person(last_name=name).account for name in ("Roux", "Blanc")]
    AccountChange.objects.all().delete()
    Account.objects.filter(pk__in=[a.pk for a in accounts]).update(pending_email="x@example.org")
    assert changes() == {}
    Account.objects.filter(pk__in=[a.pk for a in accounts]).update(lock_reason="x")
    assert changes() == {What.LOCK: 2}
    saved = Account.objects.get(pk=accounts[0].pk)
    saved.save()
    assert changes() == {What.LOCK: 2}, "saving what did not change records nothing"


@pytest.fixture
def heard() -> Iterator[list[list[int]]]:
    calls: list[list[int]] = []
    callback = calls.append
    hooks.after_account_change(callback)
    yield calls
    hooks.forget(callback)


def test_callbacks_hear_of_a_change_after_the_commit_only(
    make_person: Callable[..., Person],
    heard: list[list[int]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    account = make_person().account
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        account.lock("enquête")
        assert heard == []
    assert heard == [[account.pk]]

    def fails() -> None:
        with transaction.atomic():
            account.unlock()
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        fails()
    assert heard == [[account.pk]]
    assert AccountChange.objects.filter(what=What.LOCK).count() == 1


def test_a_worker_claims_changes_like_any_queue(make_person: Callable[..., Person]) -> None:
    accounts = [make_person(last_name=name).account for name in ("Roux", "Blanc", "Noir")]
    claimed = AccountChange.objects.claim(2)
    assert [c.account_id for c in claimed] == [accounts[0].pk, accounts[1].pk]
    claimed[0].succeeded()
    assert claimed[1].failed(ConnectionError("directory down")) == timedelta(minutes=1)
    assert [c.account_id for c in AccountChange.objects.claim(10)] == [accounts[2].pk]
