"""Timing oracle of "Mot de passe oublié": does the answer's time tell whether an account exists?

Against gunicorn (one sync worker, so that requests never overlap), on a fresh SQLite database or
a throw-away PostgreSQL one, it sends the identifier of an account with a confirmed personal
address (a different one each time) and an unknown one, alternately, `--tries` times each, each
from a fresh session as an attacker would. It prints for both the median and p90 of the answer
time, then the share that the best single threshold sorts correctly (50 % is a coin; the attack
of issue 10 got 88 % when the mail was built inside the request). Mail goes to the console
backend, after the response.

    .venv/bin/python bench/oracle.py [--tries 60] [--postgres postgresql://postgres@127.0.0.1/test]
"""

import argparse
import statistics
import subprocess
import sys
import time
from types import SimpleNamespace

import httpx
from load import form_token, serve, server_env
from throwaway import fresh_database

FORGOT = "/gestion-de-compte/mot-de-passe-oublie/"
PREPARE = """
import sys, django
django.setup()
from datetime import date
from django.contrib.auth.hashers import make_password
from seuil.people.models import Person
hashed = make_password("Lbmx4kr7Tq")
for n in range(int(sys.argv[1])):
    person = Person(status="administratif", external_id=f"O{n}", first_name="Jean",
                    last_name=f"Oracle{n}", birth_date=date(1980, 5, 12),
                    start_date=date(2020, 9, 1))
    person.register()
    account = person.account
    account.password, account.recovery_email = hashed, f"jean{n}@example.org"
    account.activated_at = account.created_at
    account.save()
    print(account.login)
"""


def best_threshold(known: list[float], unknown: list[float]) -> float:
    """The share of answers the best single threshold sorts correctly, either way round."""
    best = 0.5
    for cut in sorted(known + unknown):
        right = sum(k > cut for k in known) + sum(u <= cut for u in unknown)
        best = max(
            best, right / (len(known) + len(unknown)), 1 - right / (len(known) + len(unknown))
        )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=60)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; else SQLite")
    options = parser.parse_args()
    with fresh_database(options.postgres) as url:
        # load.py's production-like settings (its signing key among them), no rate limit.
        env = server_env(url) | {"SEUIL_RATE_LIMIT": "100000000/m",
                                 "SEUIL_EMAIL_BACKEND": "console"}  # fmt: skip
        for command in (["migrate"], ["collectstatic", "--no-input"]):
            subprocess.run(
                [sys.executable, "-m", "seuil", *command, "-v", "0"], env=env, check=True
            )
        logins = subprocess.run(
            [sys.executable, "-c", PREPARE, str(options.tries)],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        server = SimpleNamespace(workers=1, worker_class="sync", threads=1)
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        with (
            serve("seuil.wsgi:application", env, server) as running,  # type: ignore[arg-type]
            httpx.Client(base_url=running.base, timeout=60) as client,
        ):
            for n in range(options.tries * 2):
                kind = "known" if n % 2 == 0 else "unknown"
                # A different account each time: three links an hour go to one account.
                who = logins[n // 2] if kind == "known" else f"zz{n:05d}"
                token = form_token(client, FORGOT)  # a fresh session, as an attacker's
                started = time.perf_counter()
                response = client.post(
                    FORGOT, data={"csrfmiddlewaretoken": token, "identifier": who}
                )
                times[kind].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 302, response.status_code
    for kind, values in times.items():
        ordered = sorted(values)
        print(f"{kind:8} median {statistics.median(values):6.2f} ms   "
              f"p90 {ordered[int(0.9 * len(ordered))]:6.2f} ms   n={len(values)}")  # fmt: skip
    share = best_threshold(times["known"], times["unknown"])
    print(f"best single threshold sorts {share:.0%} correctly (50 % is a coin)")


if __name__ == "__main__":
    main()
