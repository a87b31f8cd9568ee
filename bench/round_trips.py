"""What each hot operation sends the database and Redis, and the Python calls it makes: figures
that a loaded machine cannot blur, unlike CPU time (issue 25 §3, issue 24 §7).

    .venv/bin/python bench/round_trips.py [--postgres URL] [--redis URL] [--operations 20]

Through Django's test client, on a fresh database (SQLite, or one created on the PostgreSQL
server given and dropped after), with production settings (debug off), and with --redis the
sessions, the rate window and the lockout in that Redis (a database it may flush), as in
production. For each operation: the SQL statements (Django's CaptureQueriesContext: SQLite's
BEGIN and COMMIT among them, not PostgreSQL's), the Redis round trips (a pipeline or a script is
one), and the Python function calls under cProfile (its total_calls, C functions included), the
median over `--operations` of each. The activation's mails, sent after its response, are part of it.
A TOTP check is seuil.mfa.services.check_totp, as bench/mfa.py times it.
"""

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import statistics
import tempfile
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from throwaway import SIGNING_KEY, fresh_database

PASSWORD = "Lbmx4kr7Tq"  # noqa: S105 -- the benchmark's own people
ACTIVATE, SIGN_IN = "/gestion-de-compte/validation-personnel/", "/gestion-de-compte/se-connecter/"


def setup(url: str, redis_url: str, static: str) -> None:
    os.environ.update(
        {
            "SEUIL_STATIC_ROOT": static,
            "DATABASE_URL": url,
            "SEUIL_SECRET_KEY": "bench-" + "k" * 50,
            "SEUIL_ENV_FILE": "",
            "SEUIL_OIDC_KEY_FILE": SIGNING_KEY,
            "SEUIL_ALLOWED_HOSTS": "testserver",
            "SEUIL_SECURE_COOKIES": "false",
            "SEUIL_DEBUG": "false",
            "SEUIL_RATE_LIMIT": "100000000/m",
            "SEUIL_EMAIL_BACKEND": "console",
            "DJANGO_SETTINGS_MODULE": "seuil.settings",
        }
    )
    if redis_url:
        os.environ["SEUIL_REDIS_URL"] = redis_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the pages' manifest
    if redis_url:
        from seuil.security.rate import _redis

        _redis().flushdb()


@contextlib.contextmanager
def counted() -> Iterator[dict[str, int]]:
    """Statements, Redis round trips and Python calls made inside the block."""
    import redis
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    found = {"statements": 0, "redis": 0, "calls": 0}
    original: Callable[..., None] = redis.connection.AbstractConnection.send_packed_command

    def sent(self: Any, command: Any, check_health: bool = True) -> None:
        found["redis"] += 1
        original(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = sent  # type: ignore[method-assign]
    profiler = cProfile.Profile()
    try:
        with CaptureQueriesContext(connection) as queries:
            profiler.enable()
            yield found
            profiler.disable()
    finally:
        redis.connection.AbstractConnection.send_packed_command = original  # type: ignore[method-assign]
    found["statements"] = len(queries.captured_queries)
    found["calls"] = pstats.Stats(profiler, stream=io.StringIO()).total_calls  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a throw-away database)")
    parser.add_argument("--redis", default="", help="a Redis URL (a database it may flush)")
    parser.add_argument("--operations", type=int, default=20)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.postgres:
            url = stack.enter_context(fresh_database(args.postgres))
        else:
            url = f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/bench.sqlite3"
        setup(url, args.redis, stack.enter_context(tempfile.TemporaryDirectory()))
        run(args)


def run(args: argparse.Namespace) -> None:
    import pyotp
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from throwaway import people_with_sesames

    import seuil.wsgi  # noqa: F401 -- the application as gunicorn's workers load it
    from seuil.accounts.models import Account
    from seuil.mfa import services
    from seuil.mfa.models import TotpDevice

    count = args.operations
    people = people_with_sesames(2 * count + 3)
    client = Client(enforce_csrf_checks=True)

    def page(path: str) -> Callable[[], str]:
        def get() -> str:
            client.cookies.clear()  # a browser arriving without cookies
            html = client.get(path).content.decode()
            return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]

        return get

    def post(path: str, data: dict[str, str], token: str) -> None:
        response = client.post(path, {"csrfmiddlewaretoken": token, **data})
        assert response.status_code == 302, (path, response.status_code)

    def activation(login: str, sesame: str) -> dict[str, str]:
        return {"login": login, "sesame": sesame, "password1": PASSWORD, "password2": PASSWORD,
                "personal_email": f"{login}@example.org", "charter": "on"}  # fmt: skip

    figures: dict[str, list[dict[str, int]]] = {}

    def measure(name: str, operation: Callable[[], object]) -> object:
        with counted() as found, contextlib.redirect_stdout(io.StringIO()):  # the console mail
            result = operation()
        figures.setdefault(name, []).append(found)
        return result

    for n, (login, sesame) in enumerate(people[: 2 * count + 2]):
        # The first two are not counted: imports, first renders, the script's loading.
        step = measure if n >= 2 else (lambda _name, operation: operation())
        token = step("activation page", page(ACTIVATE))
        form = activation(login, sesame)
        step("activation POST", partial(post, ACTIVATE, form, str(token)))
        if n % 2:
            continue
        token = step("sign-in page", page(SIGN_IN))
        data = {"login": login, "password": PASSWORD}
        step("sign-in POST", partial(post, SIGN_IN, data, str(token)))
    account = Account.objects.get(login=people[-1][0])
    device = TotpDevice.begin(account)
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    totp = pyotp.TOTP(device.key)
    for n in range(count + 2):
        TotpDevice.objects.filter(pk=device.pk).update(last_step=0)  # the same code, again

        def check() -> None:
            assert services.check_totp(account=account, code=totp.now(), ip="192.0.2.1")

        (lambda name, op: op())("", check) if n < 2 else measure("TOTP check", check)
    where = connection.vendor + (", Redis" if args.redis else "")
    print(f"{where}: median per operation over {count}")
    print(f"{'operation':<18}{'statements':>12}{'Redis':>8}{'Python calls':>14}")
    for name, runs in figures.items():
        row = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(f"{name:<18}{row['statements']:>12g}{row['redis']:>8g}{row['calls']:>14g}")


if __name__ == "__main__":
    main()
