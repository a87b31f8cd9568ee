"""seuil.core.bulk's positional builder makes what keywords make."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models import signals
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.core import bulk
from seuil.people.models import Person


def values(instance: Account | Person) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_built_instance_is_the_one_keywords_make() -> None:
    now = timezone.now()
    build = bulk.builder(Account, "login", "mail", "created_at", password="!")
    built = build("jdupont", "jean.dupont@example.org", now)
    made = Account(login="jdupont", mail="jean.dupont@example.org", created_at=now, password="!")
    assert values(built) == values(made)
    assert built._state.adding
    assert built.pk is None


def test_a_default_drawn_per_instance_is_drawn_per_instance() -> None:
    build = bulk.builder(Person, "status", "external_id")
    first = build("etudiant", "1")
    with time_machine.travel(first.created_at + timedelta(minutes=1)):
        second = build("etudiant", "2")
    assert second.created_at > first.created_at


def test_a_model_with_init_receivers_is_built_through_its_init() -> None:
    seen: list[object] = []

    def receiver(sender: type, instance: object, **kwargs: object) -> None:
        seen.append(instance)

    signals.post_init.connect(receiver, sender=Person)
    try:
        built = bulk.builder(Person, "status", "external_id")("etudiant", "1")
    finally:
        signals.post_init.disconnect(receiver, sender=Person)
    assert seen == [built]


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field nom"):
        bulk.builder(Person, "nom")


@pytest.mark.django_db
def test_insert_one_writes_what_save_writes_and_reads_back_the_drawn_key() -> None:
    from seuil.sso.chains import Chain

    now = timezone.now()
    facts = {"sign_on": "s1", "signed_in_at": now, "methods": {"pwd": 1.5}, "created_at": now}
    saved = Chain.objects.create(code="a" * 64, **facts)
    inserted = bulk.insert_one(Chain(code="b" * 64, **facts))
    assert inserted.pk is not None
    assert inserted.pk != saved.pk
    assert not inserted._state.adding
    assert inserted._state.db == "default"
    mine, theirs = (values(Chain.objects.get(pk=c.pk)) for c in (inserted, saved))  # type: ignore[arg-type]
    assert {**mine, "id": None, "code": None} == {**theirs, "id": None, "code": None}
    assert mine["methods"] == {"pwd": 1.5}


def analyses(table: str) -> int:
    """How many times the table's planner statistics were made: PostgreSQL counts them; SQLite
    keeps them in sqlite_stat1 (emptied first by `forget_analyses`)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = %s", [table]
            )
        else:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        return int(cursor.fetchone()[0])


def forget_analyses(*tables: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone()[0]:
            for table in tables:
                cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = %s", [table])


@pytest.mark.django_db(transaction=True)  # committed rows, as an import's
def test_a_bulk_import_refreshes_the_planners_statistics_after_its_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Until autovacuum's next pass PostgreSQL takes a table just filled for empty, and plans
    the first sign-ins and activations for that (bulk.refresh_statistics)."""
    from django.db import connection

    from seuil.people.importing import parse_people_csv

    if connection.vendor == "sqlite":
        forget_analyses("people_person", "accounts_account")
    monkeypatch.setattr(bulk, "REFRESH_AFTER", 3)
    header = "status;external_id;first_name;last_name;birth_date;start_date;end_date\n"
    rows = [f"administratif;S{n};Zoé;Stat{n};1980-01-01;2026-01-01;\n" for n in range(5)]
    people, errors = parse_people_csv((header + "".join(rows)).encode())
    assert not errors
    before = {table: analyses(table) for table in ("people_person", "accounts_account")}
    Person.objects.import_rows(people[:2])  # fewer than REFRESH_AFTER: autovacuum's business
    assert {table: analyses(table) for table in before} == before
    Person.objects.import_rows(people[2:])  # three newcomers
    assert all(analyses(table) > count for table, count in before.items())
