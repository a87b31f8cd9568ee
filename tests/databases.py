"""Each pytest-xdist worker's test database starts as a copy of one the run migrates once.

Migrating from nothing costs a worker about five seconds of CPU, and `make test` starts eight
workers (four per database). The first worker to get here migrates a template in a process of its
own, under a lock the others wait on; each then copies it (a file on SQLite, `CREATE DATABASE …
TEMPLATE` on PostgreSQL) and pytest-django keeps the copy, where `migrate` finds nothing to do.
The controller removes the template at the run's end: on SQLite it lies in the controller's own
temporary folder; on PostgreSQL `drop_template` drops it. A run without workers migrates as
before.
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from psycopg import sql

# Read before pytest_configure points the temporary folder at the run's own.
SYSTEM_TMP = Path(tempfile.gettempdir())
ROOT = Path(__file__).resolve().parent.parent


def on_postgres() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


def template_name(controller: int) -> str:
    """The template of the run whose controller has this pid."""
    if on_postgres():
        return f"test_{settings.DATABASES['default']['NAME']}_template_{controller}"
    return str(SYSTEM_TMP / f"seuil-tests-{controller}" / "template.sqlite3")


def _maintenance() -> psycopg.Connection[Any]:
    database = settings.DATABASES["default"]
    return psycopg.connect(
        host=database["HOST"],
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"],
        dbname=database["NAME"],
        autocommit=True,
        connect_timeout=3,
    )


def url_of(name: str) -> str:
    """DATABASE_URL for a command in a subprocess to use the database `name`."""
    if not on_postgres():
        return f"sqlite:///{name}"
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


@contextmanager
def _run_lock(controller: int) -> Iterator[None]:
    # In the controller's own folder, which goes at the run's end.
    with (SYSTEM_TMP / f"seuil-tests-{controller}" / "template.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _exists(template: str) -> bool:
    if not on_postgres():
        return Path(template).is_file()
    with _maintenance() as db:
        found = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        return found.fetchone() is not None


def _migrate(template: str) -> None:
    if on_postgres():
        with _maintenance() as db:
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    done = subprocess.run(
        [sys.executable, "-m", "seuil", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "SEUIL_ENV_FILE": "", "DATABASE_URL": url_of(template)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        drop_template(template)
        raise RuntimeError(f"migrating the template {template} failed:\n{done.stderr}")


def clone_template(test_database: str) -> bool:
    """Make `test_database` a copy of the run's migrated template; False without workers."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return False
    controller = os.getppid()  # execnet starts each worker from the controller's process
    template = template_name(controller)
    with _run_lock(controller):
        if not _exists(template):
            _migrate(template)
        if on_postgres():
            with _maintenance() as db:
                db.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(test_database))
                )
                db.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(test_database), sql.Identifier(template)
                    )
                )
        else:
            Path(test_database).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, test_database)
    return True


def drop_template(template: str) -> None:
    if not on_postgres():
        Path(template).unlink(missing_ok=True)
        return
    with _maintenance() as db:
        db.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template))
        )


def sweep_killed_runs(alive: Callable[[int], bool]) -> None:
    """Drop the PostgreSQL databases (templates and workers') of runs that were killed."""
    if not on_postgres():
        return
    prefix = f"test_{settings.DATABASES['default']['NAME']}_"
    with _maintenance() as db:
        names = [row[0] for row in db.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [prefix]
        )]  # fmt: skip
        for name in names:
            pid = name.rsplit("_", 1)[-1]
            if pid.isdigit() and not alive(int(pid)):
                db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                ))  # fmt: skip
