"""The benchmarks' databases: never one that holds anything else, and gone afterwards."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

# The benchmarks' servers run as in production, which needs an OIDC signing key: the tests' one.
SIGNING_KEY = str(Path(__file__).resolve().parent.parent / "tests" / "data" / "oidc-test-key.pem")


def people_with_sesames(count: int) -> list[tuple[str, str]]:
    """(login, Sésame) of `count` new staff members, registered through the import and issued
    their Sésames with the model code `seuil issue_sesame` uses (Django set up already)."""
    from django.db import transaction

    from seuil.activation.models import Sesame
    from seuil.core import bulk
    from seuil.people.importing import parse_people_csv
    from seuil.people.models import Person

    header = "status;external_id;first_name;last_name;birth_date;start_date;end_date\n"
    rows = [f"administratif;B{n:06d};Jean;Bench{n};1980-01-01;2026-01-01;\n" for n in range(count)]
    found, errors = parse_people_csv((header + "".join(rows)).encode())
    assert not errors, errors[:3]
    Person.objects.import_rows(found)
    with transaction.atomic():
        accounts = [p.account for p in Person.objects.select_related("account")]
        issued = [(account.login, Sesame.issue(account)[1]) for account in accounts]
    if len(issued) >= bulk.REFRESH_AFTER:  # as `seuil issue_sesame` does after an intake's
        bulk.refresh_statistics(Sesame)
    return issued


@contextlib.contextmanager
def fresh_database(postgres: str | None) -> Iterator[str]:
    """Yield the URL of an empty database: a SQLite file in a temporary folder or, given the URL
    of a PostgreSQL server, a database created there for the run and dropped after it."""
    if not postgres:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    name = f"bench_seuil_{os.getpid()}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
