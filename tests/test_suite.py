"""The suite itself: which tests use the database, where each worker's things live, and what a
run leaves behind."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from seuil.people.models import Person
from tests.conftest import ENV_FILE, redis_for, runs_again_on_postgresql, uses_the_database

ROOT = Path(__file__).resolve().parent.parent


def test_a_query_outside_the_database_marker_fails(request: pytest.FixtureRequest) -> None:
    assert not uses_the_database(request.node), "so PostgreSQL does not run it again"
    with pytest.raises(RuntimeError, match="Database access not allowed"):
        Person.objects.exists()


@pytest.mark.django_db
def test_a_test_with_the_marker_uses_the_database(request: pytest.FixtureRequest) -> None:
    assert uses_the_database(request.node)
    assert not Person.objects.exists()


def test_a_live_server_test_uses_the_database(
    request: pytest.FixtureRequest, live_server: object
) -> None:
    assert uses_the_database(request.node)
    assert not Person.objects.exists()


@pytest.mark.browser
def test_a_browser_test_runs_once_on_sqlite(
    request: pytest.FixtureRequest, live_server: object
) -> None:
    """What Chromium shows does not change with the database; the queries beneath are the other
    tests', which PostgreSQL runs again."""
    assert uses_the_database(request.node)
    assert not runs_again_on_postgresql(request.node)


def test_each_worker_flushes_a_redis_database_of_its_own() -> None:
    assert redis_for("main", "redis://127.0.0.1:6379/8") == "redis://127.0.0.1:6379/8"
    workers = [redis_for(f"gw{n}", "redis://127.0.0.1:6379/8") for n in range(4)]
    assert workers == [f"redis://127.0.0.1:6379/{n}" for n in (9, 10, 11, 12)]
    assert redis_for("gw3", "redis://127.0.0.1:6379/11") == "redis://127.0.0.1:6379/15"


def test_a_run_leaves_nothing_in_the_temporary_folder(tmp_path: Path) -> None:
    """The SQLite file (and its -wal and -shm), the static folder: all in a folder of the run's,
    removed at its end; the folder of a run that was killed goes at the next run."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    killed = temporary / f"seuil-tests-{_a_dead_pid()}"
    (killed / "seuil.sqlite3").parent.mkdir()
    (killed / "seuil.sqlite3").write_bytes(b"")
    env = {**os.environ, "TMPDIR": str(temporary)}
    env.pop("DATABASE_URL", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    run = subprocess.run(
        # --no-migrations: the run's folder is the point here, not the schema's history.
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-migrations",
         "tests/test_suite.py::test_a_test_with_the_marker_uses_the_database"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert list(temporary.iterdir()) == []


def _a_dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_suite_runs_beside_the_env_that_make_run_writes() -> None:
    """README's order, `make run` then `make test`, leaves a .env in the checkout: every command
    a test starts says SEUIL_ENV_FILE= to ignore it, and the suite runs beside one to show it."""
    assert ENV_FILE.is_file()
    assert "SEUIL_DEBUG=true" in ENV_FILE.read_text()


def what_migrations_wrote() -> dict[str, list[tuple[int, object]]]:
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    return {
        "content types": list(ContentType.objects.order_by("pk").values_list("pk", "model")),
        "permissions": list(Permission.objects.order_by("pk").values_list("pk", "codename")),
        "groups": list(Group.objects.order_by("pk").values_list("pk", "name")),
        "groups' permissions": list(
            Group.permissions.through.objects.order_by("pk").values_list("pk", "permission_id")
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_a_committing_tests_teardown_keeps_only_what_the_migrations_wrote(
    make_person: Callable[..., Person],
) -> None:
    from django.db import connection
    from django.test import TransactionTestCase

    make_person()
    kept = what_migrations_wrote()
    assert kept["permissions"], "the migrations made the permissions"
    assert kept["groups"] == [(kept["groups"][0][0], "RH")], "and the RH group"
    # What pytest-django calls after a committing test (a TransactionTestCase's teardown).
    teardown = TransactionTestCase(methodName="__init__")
    teardown._fixture_teardown()  # type: ignore[attr-defined]
    assert Person.objects.count() == 0
    assert what_migrations_wrote() == kept, "kept as they were, not written again with new keys"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        assert cursor.fetchone()[0] > 0
