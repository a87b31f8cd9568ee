"""The benchmarks' databases: never one that holds anything else, and gone afterwards."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

# The benchmarks' servers run as in production, which needs an OIDC signing key: the tests' one.
SIGNING_KEY = str(Path(__file__).resolve().parent.parent / "tests" / "data" / "oidc-test-key.pem")


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
