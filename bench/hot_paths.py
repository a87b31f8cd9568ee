"""CPU around the hash, in process: sign-ins and activations through Django's test client.

    .venv/bin/python bench/hot_paths.py [--operations 200] [--profile FILE]

No gunicorn, no sockets and no load generator share the CPU: on a busy machine this tells a
change in seuil from noise better than bench/load.py, which it does not replace (it leaves out
the WSGI server and the network). On a fresh SQLite database with production settings (debug
off), it activates people as a browser would (page, POST, recap), then signs them in (page,
POST), and prints per operation its CPU (time.process_time), the CPU of the one Argon2id hash it
needs (a check of a stored hash, timed beside each operation), the rest, and the cyclic GC's
share (the hash's own collections included). With --profile, the
measured operations run under cProfile and its statistics go to FILE.
"""

import argparse
import contextlib
import cProfile
import gc
import io
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

from throwaway import SIGNING_KEY, people_with_sesames

PASSWORD = "Lbmx4kr7Tq"  # noqa: S105 -- the benchmark's own people
ACTIVATE, SIGN_IN = "/gestion-de-compte/validation-personnel/", "/gestion-de-compte/se-connecter/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def setup(folder: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
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
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def operations() -> tuple[Callable[[str, str], None], Callable[[str, str], None]]:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # one client: each new one loads the middleware

    def form(path: str) -> str:
        client.cookies.clear()  # a browser arriving without cookies
        match = TOKEN.search(client.get(path).content.decode())
        assert match, path
        return match.group(1)

    def activate(login: str, sesame: str) -> None:
        data = {"login": login, "sesame": sesame, "password1": PASSWORD, "password2": PASSWORD}
        data |= {"personal_email": f"{login}@example.org", "charter": "on"}
        response = client.post(ACTIVATE, {"csrfmiddlewaretoken": form(ACTIVATE), **data})
        assert response.status_code == 302, response.status_code
        assert login in client.get(response["location"]).content.decode()

    def sign_in(login: str, _sesame: str) -> None:
        data = {"csrfmiddlewaretoken": form(SIGN_IN), "login": login, "password": PASSWORD}
        assert client.post(SIGN_IN, data).status_code == 302

    return activate, sign_in


@contextlib.contextmanager
def gc_clock(spent: list[float]) -> Iterator[None]:
    """Add the CPU the cyclic collector takes meanwhile to spent[0]."""
    started = [0.0]

    def callback(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.process_time()
        else:
            spent[0] += time.process_time() - started[0]

    gc.callbacks.append(callback)
    try:
        yield
    finally:
        gc.callbacks.remove(callback)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--operations", type=int, default=200)
    parser.add_argument("--profile", metavar="FILE")
    options = parser.parse_args()
    count = options.operations
    with tempfile.TemporaryDirectory() as folder:
        setup(folder)
        from django.contrib.auth.hashers import check_password

        import seuil.wsgi  # noqa: F401 -- the application loaded as gunicorn's workers load it
        from seuil.accounts.models import Account

        codes = people_with_sesames(2 * count + 20)
        activate, sign_in = operations()
        quiet = contextlib.redirect_stdout(io.StringIO())  # the console mail backend
        with quiet:
            for login, code in codes[:20]:  # warm-up: first renders and imports
                activate(login, code)
                sign_in(login, code)
        stored = Account.objects.get(login=codes[0][0]).password
        profiler = cProfile.Profile() if options.profile else None
        print(f"{'operation':<12}{'CPU ms':>10}{'hash ms':>10}{'around':>10}{'GC ms':>10}")
        for name, run, batch in (
            ("activation", activate, codes[20 : 20 + count]),
            ("sign-in", sign_in, codes[20 : 20 + count]),
        ):
            spent, cpu, hashing = [0.0], 0.0, 0.0
            with quiet, gc_clock(spent):
                for login, code in batch:
                    # One hash timed beside each operation: under the same load as it.
                    started = time.process_time()
                    check_password(PASSWORD, stored)
                    hashing += time.process_time() - started
                    if profiler:
                        profiler.enable()
                    started = time.process_time()
                    run(login, code)
                    cpu += time.process_time() - started
                    if profiler:
                        profiler.disable()
            cpu_ms, hash_ms = cpu / count * 1000, hashing / count * 1000
            gc_ms = spent[0] / count * 1000
            print(
                f"{name:<12}{cpu_ms:>10.2f}{hash_ms:>10.2f}{cpu_ms - hash_ms:>10.2f}{gc_ms:>10.2f}"
            )
        if profiler:
            profiler.dump_stats(options.profile)
    print(
        f"\n{count} of each, one Argon2id hash each; load average {os.getloadavg()[0]:.2f}. "
        "Python " + sys.version.split()[0]
    )


if __name__ == "__main__":
    main()
