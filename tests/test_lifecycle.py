"""Accounts live as long as the attachment: SupAnn states, reminders, purge and return, walked
through with the clock moved day by day."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.management import call_command
from django.test import Client

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@contextmanager
def on(day: date) -> Iterator[None]:
    """Noon in Paris on that day: far from midnight, whatever the time zone."""
    with time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def job(django_capture_on_commit_callbacks: Any) -> Callable[..., str]:
    """Run the nightly job. Its mail leaves after its commit, which a test never reaches: run it."""

    def run(*args: str) -> str:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_lifecycle", *args, stdout=out, stderr=StringIO())
        return out.getvalue().strip()

    return run


def history(account: Account) -> list[str]:
    return sorted(str(s) for s in account.states.all())


def state(account: Account) -> str:
    return Account.objects.select_related("person").get(pk=account.pk).supann_state()


def signs_in(account: Account) -> bool:
    return (
        Client()
        .post("/gestion-de-compte/se-connecter/", {"login": account.login, "password": PASSWORD})
        .status_code
        == 302
    )


def activate(account: Account) -> None:
    account = Account.objects.select_related("person").get(pk=account.pk)
    account.activate(
        password_hash=make_password(PASSWORD),
        email="perso@example.org",
        question="",
        answer_hash="",
    )
    account.recovery_email, account.pending_email = "perso@example.org", ""
    account.save()


def test_a_member_of_staff_through_every_state(
    job: Callable[..., str], make_person: Callable[..., Person], tmp_path: Path
) -> None:
    start, end = date(2027, 9, 1), date(2028, 6, 30)
    with on(date(2027, 7, 1)):
        person = make_person(start_date=start, end_date=end)
        account = person.account
        Sesame.issue(account)
        assert job().startswith("run_lifecycle: 1 transition(s) (SupannPrecree 1)")
        assert state(account) == "SupannPrecree"
        assert Account.objects.get(pk=account.pk).opens_on() == date(2027, 8, 17)
    with on(date(2027, 8, 17)):  # SEUIL_EARLY_DAYS = 15 before the start
        assert job().startswith("run_lifecycle: 1 transition(s) (SupannCree 1)")
        activate(account)
        assert state(account) == "SupannAnticipe"
        assert signs_in(account)
    with on(date(2027, 9, 1)):
        job()
        assert state(account) == "SupannActif"
    with on(date(2028, 7, 1)):  # the attachment ended yesterday: grace
        assert state(account) == "SupannSursis", "the rule holds before the job runs"
        assert "1 rappel(s)" in job()
        assert "restent ouverts jusqu'au 30 juillet 2028" in mail.outbox[-1].body
        assert signs_in(account)
    with on(date(2028, 7, 23)):  # a week before the close
        assert "1 rappel(s)" in job()
        assert "seront fermés le 30 juillet 2028, dans une semaine" in mail.outbox[-1].body
        assert "0 rappel(s)" in job(), "once only"
    with on(date(2028, 7, 31)):  # the grace is over
        assert not signs_in(account), "expired even before the job runs"
        summary = job()
        assert "SupannExpire 1" in summary
        assert "1 Sésame(s) révoqué(s)" in summary
        assert not Sesame.objects.live().filter(account=account).exists()
    with on(date(2029, 8, 1)):  # SEUIL_RETENTION_DAYS = 365 after the expiry
        assert "1 purgé(s)" in job()
        purged = Account.objects.select_related("person").get(pk=account.pk)
        assert (purged.login, purged.mail) == ("jdupont", "jean.dupont@univ-montp3.fr"), (
            "tombstones"
        )
        assert not purged.has_usable_password()
        assert purged.recovery_email == purged.secret_answer == purged.person.personal_email == ""
        assert state(account) == "SupannSupprDonnees"
        # Return: HR's feed attaches the person again; the password is gone, so: awaiting activation.
        (tmp_path / "feed.csv").write_text(
            "status;external_id;first_name;last_name;birth_date;start_date;end_date\n"
            f"administratif;{person.external_id};Jean;Dupont;1980-05-12;2029-08-10;2030-08-31\n"
        )
        call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
        assert state(account) == "SupannCree"
        job()
    assert history(account) == [
        "{COMPTE}A:SupannActif:20270901:20280701",
        "{COMPTE}A:SupannAnticipe:20270817:20270901",
        "{COMPTE}A:SupannSursis:20280701:20280731",
        "{COMPTE}I:SupannCree:20270817:20270817",
        "{COMPTE}I:SupannCree:20290801:",
        "{COMPTE}I:SupannExpire:20280731:20290801",
        "{COMPTE}I:SupannPrecree:20270701:20270817",
        "{COMPTE}I:SupannSupprDonnees:20290801:20290801",
        "{MAIL}A:SupannActif:20270901:20280701",
        "{MAIL}A:SupannAnticipe:20270817:20270901",
        "{MAIL}A:SupannSursis:20280701:20280731",
        "{MAIL}I:SupannCree:20290801:",
        "{MAIL}I:SupannExpire:20280731:20290801",
        "{MAIL}I:SupannSupprDonnees:20290801:20290801",
    ]


def test_a_student_comes_back_before_the_purge_with_the_same_password(
    job: Callable[..., str], make_person: Callable[..., Person], tmp_path: Path
) -> None:
    with on(date(2026, 9, 1)):
        student = make_person(
            status="etudiant", start_date=date(2026, 9, 1), end_date=date(2027, 8, 31)
        )
        activate(student.account)
        job()
        assert state(student.account) == "SupannActif"
    with on(date(2027, 10, 15)):
        job()
        assert state(student.account) == "SupannExpire"
        (tmp_path / "feed.csv").write_text(
            "status;external_id;first_name;last_name;birth_date;start_date;end_date\n"
            f"etudiant;{student.external_id};Jean;Dupont;1980-05-12;2026-09-01;2028-08-31\n"
        )
        call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
        assert state(student.account) == "SupannActif"
        assert signs_in(student.account)
        assert "SupannActif 1" in job()


def test_an_expired_or_locked_account_loses_its_open_sessions(
    make_person: Callable[..., Person],
) -> None:
    with on(date(2027, 1, 10)):
        expiring = make_person(
            end_date=date(2027, 1, 1), start_date=date(2026, 1, 1), password=PASSWORD
        ).account
        locked = make_person(first_name="Paul", last_name="Roux", password=PASSWORD).account
        sessions = {}
        for account in (expiring, locked):
            sessions[account.pk] = Client()
            sessions[account.pk].force_login(account)
            assert sessions[account.pk].get("/mon-ent/").status_code == 200
        locked.lock("mission terminée")
    with on(date(2027, 2, 1)):  # expiring's grace ended on January 31st
        for account in (expiring, locked):
            assert sessions[account.pk].get("/mon-ent/").status_code == 302


def test_hr_locks_and_unlocks_from_the_admin(
    admin_client: Client, make_person: Callable[..., Person]
) -> None:
    person = make_person(password=PASSWORD)
    page = admin_client.post(
        "/admin/people/person/", {"action": "lock", "_selected_action": [person.pk]}
    )
    assert "Motif" in page.content.decode()
    admin_client.post(
        "/admin/people/person/",
        {"action": "lock", "_selected_action": [person.pk], "apply": "1", "reason": "départ"},
    )
    account = Account.objects.get(pk=person.account.pk)
    assert (state(account), account.lock_reason) == ("SupannVerrouAdministratif", "départ")
    assert account.audit_events.filter(action="locked", detail__reason="départ").exists()
    assert (
        "Votre compte est verrouillé"
        in Client()
        .post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
        .content.decode()
    )
    admin_client.post(
        "/admin/people/person/", {"action": "lift_lock", "_selected_action": [person.pk]}
    )
    assert state(account) == "SupannActif"
    assert signs_in(account)
    assert [str(s).split(":")[1] for s in account.states.order_by("pk")] == [
        "SupannVerrouAdministratif",
        "SupannActif",
    ]


def test_a_sesame_does_not_open_a_closed_account(make_person: Callable[..., Person]) -> None:
    with on(date(2027, 3, 1)):
        account = make_person(start_date=date(2026, 1, 1), end_date=date(2027, 1, 1)).account
        code = Sesame.issue(account)[1]
        assert Sesame.objects.verify(account.login, code) is None


def test_activation_says_from_when_it_will_be_possible(
    client: Client, make_person: Callable[..., Person]
) -> None:
    with on(date(2027, 7, 1)):
        account = make_person(start_date=date(2027, 9, 1)).account
        code = Sesame.issue(account)[1]
        response = client.post("/gestion-de-compte/validation-personnel/", {
            "login": "jdupont", "sesame": code, "password1": PASSWORD, "password2": PASSWORD,
            "personal_email": "jean@example.org", "charter": "on"})  # fmt: skip
        assert (
            "L'activation de votre compte sera possible à partir du 17 août 2027."
            in response.content.decode().replace("&#x27;", "'")
        )
        assert Sesame.objects.live().filter(account=account).exists(), "the Sésame stays usable"


def test_the_job_is_idempotent_and_its_dry_run_changes_nothing(
    job: Callable[..., str],
    make_person: Callable[..., Person],
) -> None:
    with on(date(2027, 7, 10)):
        account = make_person(
            start_date=date(2026, 9, 1), end_date=date(2027, 7, 1), password=PASSWORD
        ).account
        dry = job("--dry-run")
        assert dry.endswith("(essai : rien n'a changé)")
        assert "SupannSursis 1" in dry
        assert Account.objects.get(pk=account.pk).state == ""
        assert mail.outbox == []
        assert "SupannSursis 1" in job()
        assert job().startswith("run_lifecycle: 0 transition(s), 0 rappel(s)")


def test_the_export_shows_the_sub_state(make_person: Callable[..., Person]) -> None:
    with on(date(2027, 7, 10)):
        make_person(start_date=date(2026, 9, 1), end_date=date(2027, 7, 1), password=PASSWORD)
        out = StringIO()
        call_command("export_people", stdout=out, stderr=StringIO())
        assert out.getvalue().splitlines()[1].endswith(",SupannSursis")
