"""The audit log: every security event with its actor, address, UTC time and outcome, never a
secret; append-only; readable by HR; exported as JSON lines."""

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import NotSupportedError
from django.test import Client
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.audit.models import Action, AuditEvent
from seuil.people.models import Person
from tests.conftest import ACTIVATION_URL, PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(
    client: Client, make_person: Callable[..., Person], settings: object, tmp_path: Path
) -> str:
    """Registration, Sésames, failures, a lockout, an activation, a confirmation: events of all kinds."""
    (tmp_path / "feed.csv").write_text("status;external_id;first_name;last_name;birth_date;start_date\n"
                                       "enseignant;5;Paul;Roux;1970-01-01;2026-09-01\n")  # fmt: skip
    call_command("import_people", str(tmp_path / "feed.csv"), stdout=StringIO())
    account = make_person().account
    Sesame.issue(account)
    code = Sesame.issue(account)[1]
    for _ in range(5):
        client.post(
            ACTIVATION_URL,
            {"login": "jdupont", "sesame": "WRNG-WRNG-WRNG-W", "password1": "Kq7Zm2TpX9"},
        )
    from seuil.security import throttle

    throttle.reset("jdupont")
    client.post(ACTIVATION_URL, {"login": "jdupont", "sesame": code, "password1": PASSWORD, "password2": PASSWORD,
                      "personal_email": "jean@example.org", "charter": "on"}, REMOTE_ADDR="192.0.2.44")  # fmt: skip
    client.get(
        f"/gestion-de-compte/confirmer-mail/{Account.objects.get(pk=account.pk).email_token()}/"
    )
    client.post("/gestion-de-compte/confirmer-mail/")
    return code


def test_security_events_are_recorded_without_secrets(journey: str) -> None:
    actions = set(AuditEvent.objects.values_list("action", "outcome"))
    assert {("registered", "success"), ("sesame-issued", "success"), ("sesame-revoked", "success"),
            ("activation", "failure"), ("lockout", "locked"), ("activation", "success"),
            ("email-confirmed", "success")} <= actions  # fmt: skip
    activation = AuditEvent.objects.get(action="activation", outcome="success")
    assert activation.account is not None
    assert (activation.actor, activation.ip, activation.account.login) == (
        "jdupont",
        "192.0.2.44",
        "jdupont",
    )
    # Each event is stamped when it happened: in the journey's order, the lockout before the
    # activation, the confirmation last.
    first = AuditEvent.objects.order_by("at")
    when = [
        first.filter(action="registered").first(),
        first.filter(action="sesame-issued").first(),
        first.filter(action="lockout").first(),
        activation,
        first.filter(action="email-confirmed").first(),
    ]
    stamps = [event.at for event in when if event is not None]
    assert len(stamps) == 5
    assert stamps == sorted(stamps)
    everything = json.dumps(list(AuditEvent.objects.values()), default=str)
    for secret in (journey, journey.replace("-", ""), "WRNG", PASSWORD, "Kq7Zm2TpX9"):
        assert secret not in everything


def test_the_log_is_append_only(journey: str) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    event.outcome = "success"
    with pytest.raises(NotSupportedError):
        event.save()
    with pytest.raises(NotSupportedError):
        event.delete()
    with pytest.raises(NotSupportedError):
        AuditEvent.objects.all().delete()
    with pytest.raises(NotSupportedError):
        AuditEvent.objects.update(actor="x")


def test_hr_reads_the_log_with_filters_and_cannot_change_it(hr: Client, journey: str) -> None:
    client = hr
    listing = client.get("/admin/audit/auditevent/", {"action": "lockout"})
    assert listing.status_code == 200
    assert "jdupont" in listing.content.decode()
    event = AuditEvent.objects.first()
    assert event is not None
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403


def test_it_exports_json_lines(journey: str) -> None:
    out, err = StringIO(), StringIO()
    call_command("export_audit", stdout=out, stderr=err)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == AuditEvent.objects.count()
    assert err.getvalue().strip() == f"{len(lines)} événement(s)"
    assert set(lines[0]) == {"at", "action", "outcome", "actor", "account", "ip", "detail"}
    assert lines[0]["at"].endswith("+00:00")
    assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)


def test_the_export_can_be_narrowed(journey: str) -> None:
    out = StringIO()
    call_command("export_audit", "--action", "lockout", stdout=out, stderr=StringIO())
    assert [json.loads(line)["action"] for line in out.getvalue().splitlines()] == ["lockout"]
    empty = StringIO()
    call_command("export_audit", "--until", "2000-01-01", stdout=empty, stderr=StringIO())
    assert empty.getvalue() == ""
    counted, err = StringIO(), StringIO()
    call_command("export_audit", "--dry-run", stdout=counted, stderr=err)
    assert counted.getvalue() == ""
    assert "(essai : rien n'a été écrit)" in err.getvalue()
    with pytest.raises(CommandError, match="pas une date"):
        call_command("export_audit", "--since", "yesterday")


def test_the_admin_shows_times_in_the_one_labelled_time_zone(
    admin_client: Any, make_person: Callable[..., Person], settings: Any
) -> None:
    """The column said "date (UTC)" over local times; a lock showed its end in UTC."""
    from seuil.security import throttle

    AuditEvent.record(Action.SIGN_IN, actor="x", outcome="failure")
    page = admin_client.get("/admin/audit/auditevent/").content.decode()
    assert "Date (Europe/Paris)" in page
    assert "UTC" not in page
    person = make_person(password=PASSWORD)
    for _ in range(5):
        throttle.attempt(person.account.login, lambda: None, action=Action.SIGN_IN, ip="")
    until = timezone.localtime(throttle.locked_until(person.account.login))
    accounts = admin_client.get("/admin/accounts/account/").content.decode()
    assert "Verrouillé jusqu&#x27;à (Europe/Paris)" in accounts
    assert f"{until.hour} h {until:%M}" in accounts, "the lock's end in Paris time"
