"""How long the daily job takes on a September's worth of students.

    .venv/bin/python bench/lifecycle.py [--students 30000] [--postgres URL]

Registers the students through the import, activates 90 % of them, then times `seuil
run_lifecycle` in four situations, each a real run of the command on a fresh database:
  1. first run: every account's initial state is recorded;
  2. steady state: nothing to do;
  3. end of the academic year: every attachment ended yesterday, the activated enter their
     grace and are mailed a reminder (through a real SMTP server on loopback);
  4. expiry: every grace is over.
"""

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from throwaway import SIGNING_KEY, fresh_database

HEADER = "status;external_id;first_name;last_name;birth_date;start_date;end_date;personal_email\n"


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        await asyncio.sleep(0)
        return "250 OK"


def seuil(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "seuil", *args], env=env, check=True, capture_output=True, text=True
    )
    return time.perf_counter() - started, result.stdout.strip().splitlines()[
        -1
    ] if result.stdout.strip() else ""


def sql(env: dict[str, str], statement: str, *params: str) -> None:
    code = (
        "import django; django.setup(); from django.db import connection, transaction\n"
        f"with transaction.atomic(), connection.cursor() as c: c.execute({statement!r}, {params!r})"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "seuil.settings"},
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=30_000)
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL server to use instead of SQLite"
    )
    options = parser.parse_args()
    today = datetime.now(ZoneInfo("Europe/Paris")).date()  # seuil's days are Paris days
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counter = Counter()
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with tempfile.TemporaryDirectory() as folder, fresh_database(options.postgres) as url:
            env = {**os.environ, "DATABASE_URL": url, "SEUIL_SECRET_KEY": "bench-" + "x" * 50,
                   "SEUIL_ENV_FILE": "", "SEUIL_OIDC_KEY_FILE": SIGNING_KEY,
                   "SEUIL_EMAIL_HOST": "127.0.0.1", "SEUIL_EMAIL_PORT": str(port)}  # fmt: skip
            feed = Path(folder) / "students.csv"
            start, end = today - timedelta(days=60), today + timedelta(days=300)
            rows = (
                f"etudiant;{n:08d};Zoé;Martin{n % 500};2005-01-01;{start};{end};s{n}@example.org\n"
                for n in range(options.students)
            )
            feed.write_text(HEADER + "".join(rows), encoding="utf-8")
            seuil(env, "migrate", "--verbosity", "0")
            registering, _ = seuil(env, "import_people", str(feed))
            # 90 % have activated (a fixed hash: the job never reads it).
            sql(
                env,
                "UPDATE accounts_account SET activated_at = CURRENT_TIMESTAMP, "
                "password = 'argon2$x' WHERE id IN (SELECT account_id FROM people_person) "
                "AND id %% 10 <> 0",
            )
            figures = []
            figures.append(("first run (initial states)", *seuil(env, "run_lifecycle")))
            figures.append(("steady state", *seuil(env, "run_lifecycle")))
            sql(env, "UPDATE people_person SET end_date = %s", str(today - timedelta(days=1)))
            figures.append(("end of the year: grace and reminders", *seuil(env, "run_lifecycle")))
            sql(env, "UPDATE people_person SET end_date = %s", str(today - timedelta(days=40)))
            figures.append(("expiry", *seuil(env, "run_lifecycle")))
    finally:
        smtp.stop()
    engine = url.split(":", 1)[0]
    print(f"students        {options.students} ({engine}), registered in {registering:.1f} s")
    for label, seconds, summary in figures:
        print(f"{label:<38} {seconds:6.1f} s   {summary.removeprefix('run_lifecycle: ')}")
    print(f"reminders received by the SMTP server: {counter.count}")


if __name__ == "__main__":
    main()
