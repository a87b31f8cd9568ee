"""What single sign-on costs the machine per operation (issue 25 §2), by bench/load.py's method.

    .venv/bin/python bench/sso.py [--databases postgresql,sqlite] [--redis private]
                                  [--rounds 3] [--batch 200] [--clients 4] [--cas-validations 3000]

For each database, on a fresh one: people and one service (an OpenID Connect client and a CAS
prefix, for the people's status) are registered, seuil is served by gunicorn (one sync worker
per core), the people sign in, then `--rounds` rounds, each measuring in turn:

  authorize   an authorization request with a live session: the redirect that issues the code
              (PKCE S256, a confidential client), goal ≤ 4 ms;
  exchange    the code exchange a service makes after each sign-in: the token request (client
              secret in HTTP Basic, ID token signed with RS256) and one userinfo, goal ≤ 8 ms,
              that is ≥ 125 per second per core, ahead of Keycloak's published 120 grants per
              second per vCPU;
  cas login   /cas/login with a live session: the redirect that issues the ticket, goal ≤ 4 ms.

The **server CPU** of a phase is what it cost the machine, read from /proc (bench/load.py's
Backends): gunicorn's master and workers, the PostgreSQL backends connected to the benchmark's
database, and Redis when the benchmark runs its own (`--redis private`, as `make bench` does; a
shared one's CPU would be everyone's). The load generator's CPU, on the same cores, is not in
it. Each figure is the median of the rounds, printed with the rounds' 1-minute load average
and whether the goal is met: on a loaded machine a verdict says little.

Then, on the same server, bench/sso_cas.py's figures: the server's CPU per CAS ticket validation
(goal, issue 14: ≤ 3.3 ms) and the sign-out time with five single-logout services.

It writes the figures to var/bench/sso.json (or --out).
"""

import argparse
import base64
import contextlib
import functools
import hashlib
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import sso_cas
from load import Backends, free_port, private_redis, server_cpu, server_env
from throwaway import fresh_database

ROOT = Path(__file__).resolve().parent.parent
CORES = os.cpu_count() or 1
PASSWORD = "Lbmx4kr7Tq"  # noqa: S105 -- the benchmark's own people
REDIRECT = "http://127.0.0.1:9/callback"
CAS_APP = "http://cours.bench.example/app/"
SCOPE = "openid profile email eduperson_affiliation eduperson_principal_name"
GOALS_MS = {"authorize": 4.0, "exchange": 8.0, "cas login": 4.0}
KEYCLOAK_PER_CORE = 120
PREPARE = """
import json, sys, django
django.setup()
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from seuil.accounts.models import Account
from seuil.cas.models import CasService, Kind
from seuil.people.importing import parse_people_csv
from seuil.people.models import Person
from seuil.sso.models import Claim, Service
count = int(sys.argv[1])
header = "status;external_id;first_name;last_name;birth_date;start_date;end_date\\n"
rows = [f"etudiant;S{n:06d};Zoé;Bench{n};2004-01-01;2026-01-01;\\n" for n in range(count)]
people, errors = parse_people_csv((header + "".join(rows)).encode())
assert not errors, errors[:3]
Person.objects.import_rows(people)
# One hash for everyone: the sign-ins are not what is measured.
Account.objects.filter(person__isnull=False).update(
    password=make_password(sys.argv[2]), activated_at=timezone.now()
)
done = Service.objects.register(
    name="Espace de cours", url="https://cours.example/", theme="pedagogie",
    statuses=["etudiant"], redirect_uris=[sys.argv[3]], claims=Claim.values,
)
CasService.objects.replace_for(done.service, kind=Kind.SERVICE, prefixes=[sys.argv[4]])
logins = list(Account.objects.filter(person__isnull=False).values_list("login", flat=True))
print(json.dumps([done.client_id, done.client_secret, logins]))
"""


class Meter:
    """The server's CPU: gunicorn's (with the workers it reaped) and its backends', per pid, so
    that a backend that starts or ends during a phase counts for what it spent in it."""

    def __init__(self, master: int, backends: Backends) -> None:
        self.master, self.backends = master, backends

    def read(self) -> tuple[float, dict[str, dict[int, float]]]:
        return server_cpu(self.master), self.backends.cpu()

    def since(self, before: tuple[float, dict[str, dict[int, float]]]) -> dict[str, float]:
        gunicorn, backends = self.read()
        spent = {"gunicorn": gunicorn - before[0]}
        for name, pids in backends.items():
            if pids or before[1].get(name):
                old = before[1].get(name, {})
                spent[name] = sum(cpu - old.get(pid, 0.0) for pid, cpu in pids.items())
        return spent


@contextlib.contextmanager
def serve(env: dict[str, str], workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "seuil.wsgi:application"),
            *("--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(base + "/.well-known/openid-configuration", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


def signed_in(base: str, login: str) -> httpx.Client:
    browser = httpx.Client(base_url=base, timeout=60)
    page = browser.get("/connexion/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.status_code
    answer = browser.post(
        "/connexion/",
        data={"csrfmiddlewaretoken": token.group(1), "login": login, "password": PASSWORD},
    )
    assert answer.status_code == 302, f"sign-in of {login} failed: {answer.status_code}"
    return browser


def parallel(jobs: list[Callable[[], Any]], clients: int) -> list[Any]:
    """Run the jobs on `clients` threads; their results in order."""
    results: list[Any] = [None] * len(jobs)
    cursor = iter(range(len(jobs)))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            results[index] = jobs[index]()

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def issue_code(browser: httpx.Client, client_id: str) -> tuple[str, str] | None:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    params = {
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
        "scope": SCOPE, "state": secrets.token_hex(8), "nonce": secrets.token_hex(8),
        "code_challenge": challenge, "code_challenge_method": "S256",
    }  # fmt: skip
    answer = browser.get("/oidc/authorize/", params=params)
    code = parse_qs(urlsplit(answer.headers.get("Location", "")).query).get("code", [""])[0]
    return (code, verifier) if code else None


def cas_ticket(browser: httpx.Client) -> bool:
    answer = browser.get("/cas/login", params={"service": CAS_APP})
    return answer.status_code == 302 and "ticket=ST-" in answer.headers.get("Location", "")


class Round:
    """One round of the three phases, each billed the server CPU it cost."""

    def __init__(self, base: str, meter: Meter, browsers: list[httpx.Client], options: Any):
        self.base, self.meter, self.browsers, self.options = base, meter, browsers, options
        self.client_id, self.secret = options.client_id, options.client_secret
        self.service = httpx.Client(base_url=base, timeout=60, auth=(self.client_id, self.secret))
        # The service's server keeps its HTTP client for userinfo too. A new one per request
        # (httpx.get) builds a TLS context, parsing the CA bundle, in this process each time: on
        # these two cores that cost the server's worker 0.6-0.8 ms of user CPU per request (the
        # same endpoint and client, with and without ssl.create_default_context() between the
        # requests: 0.84 and 1.56 ms, docs/performance.md), which was the neighbour's, not seuil's.
        self.resource = httpx.Client(base_url=base, timeout=60)

    def timed(self, jobs: list[Callable[[], Any]]) -> tuple[list[Any], dict[str, float]]:
        before = self.meter.read()
        results = parallel(jobs, self.options.clients)
        return results, self.meter.since(before)

    def redeem(self, pair: tuple[str, str]) -> str:
        code, verifier = pair
        answer = self.service.post(
            "/oidc/token/",
            data={"grant_type": "authorization_code", "code": code,
                  "redirect_uri": REDIRECT, "code_verifier": verifier},
        )  # fmt: skip
        return str(answer.json().get("access_token", "")) if answer.is_success else ""

    def userinfo(self, token: str) -> bool:
        answer = self.resource.get("/oidc/userinfo/", headers={"Authorization": f"Bearer {token}"})
        return answer.is_success and "eduperson_affiliation" in answer.json()

    def run(self, count: int) -> dict[str, Any]:
        browsers = self.browsers
        load = os.getloadavg()[0]
        codes, authorize = self.timed(
            [functools.partial(issue_code, browsers[n % len(browsers)], self.client_id)
             for n in range(count)]
        )  # fmt: skip
        issued = [code for code in codes if code]
        tokens, token = self.timed([functools.partial(self.redeem, code) for code in issued])
        answers, userinfo = self.timed(
            [functools.partial(self.userinfo, str(t)) for t in tokens if t]
        )
        tickets, cas = self.timed(
            [functools.partial(cas_ticket, browsers[n % len(browsers)]) for n in range(count)]
        )
        exchanged = sum(1 for ok in answers if ok)
        figures = {
            "authorize": per_operation(authorize, len(issued)),
            "token": per_operation(token, exchanged),
            "userinfo": per_operation(userinfo, exchanged),
            "exchange": per_operation(
                {k: token.get(k, 0.0) + userinfo.get(k, 0.0) for k in token | userinfo}, exchanged
            ),
            "cas login": per_operation(cas, sum(1 for ok in tickets if ok)),
        }
        errors = (count - len(issued)) + (len(issued) - exchanged) + tickets.count(False)
        return {"load": round((load + os.getloadavg()[0]) / 2, 2), "errors": errors, **figures}


def per_operation(cpu: dict[str, float], operations: int) -> dict[str, float]:
    """Milliseconds of CPU per operation that succeeded: in all, and per process kind."""
    if not operations:
        return {"server_cpu_ms": 0.0, "operations": 0}
    figures = {f"{name}_ms": round(1000 * seconds / operations, 3) for name, seconds in cpu.items()}
    return {
        "server_cpu_ms": round(1000 * sum(cpu.values()) / operations, 3),
        **figures,
        "operations": operations,
    }


def measure(kind: str, options: argparse.Namespace) -> dict[str, Any]:
    postgres = options.postgres if kind == "postgresql" else None
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_database(postgres))
        env = {
            **server_env(url),
            "SEUIL_RATE_LIMIT": "100000000/m",
            "SEUIL_EMAIL_BACKEND": "console",
        }
        backends = Backends()
        if postgres:
            backends.postgres, backends.database = postgres, url.rsplit("/", 1)[1]
        if options.redis == "private":
            env["SEUIL_REDIS_URL"], backends.redis_pid = stack.enter_context(private_redis())
        elif options.redis:
            env["SEUIL_REDIS_URL"] = options.redis  # shared: its CPU is not counted
        for command in (["migrate"], ["collectstatic", "--no-input"]):
            subprocess.run(
                [sys.executable, "-m", "seuil", *command, "-v", "0"], env=env, check=True
            )
        prepared = subprocess.run(
            [sys.executable, "-c", PREPARE, str(4 * options.clients), PASSWORD, REDIRECT, CAS_APP],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        options.client_id, options.client_secret, logins = json.loads(prepared.stdout)
        base, master = stack.enter_context(serve(env, options.workers))
        meter = Meter(master, backends)
        browsers = [signed_in(base, login) for login in logins]
        rounds = Round(base, meter, browsers, options)
        rounds.run(4 * options.workers)  # every worker warm: imports and first renders are not
        results = []  # a per-operation cost
        for number in range(options.rounds):
            results.append(rounds.run(options.batch))
            print(f"  {kind}: round {number + 1}, load {results[-1]['load']}", file=sys.stderr)
        cas = sso_cas.figures(
            base, env, lambda: sum(meter.since((0.0, {})).values()), total=options.cas_validations
        )
    return {
        "database": kind,
        "redis": options.redis or "none",
        "rounds": results,
        "median": medians(results),
        "cas": cas,
    }


def medians(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the rounds, with the rounds' load averages beside it."""
    merged: dict[str, Any] = {"load": [r["load"] for r in rounds]}
    for name in ("authorize", "token", "userinfo", "exchange", "cas login"):
        keys = {key for r in rounds for key in r[name]}
        merged[name] = {
            key: round(statistics.median(r[name].get(key, 0.0) for r in rounds), 3) for key in keys
        }
    return merged


def report(result: dict[str, Any], options: argparse.Namespace) -> None:
    median = result["median"]
    print(
        f"\n{result['database']} (Redis: {result['redis']}), gunicorn {options.workers} sync"
        f" workers, {options.clients} clients, {options.batch} operations per phase, median of"
        f" {options.rounds} alternated rounds; load average of the rounds {median['load']}"
    )
    columns = ("server_cpu_ms", "gunicorn_ms", "postgresql_ms", "redis_ms")
    print(f"{'operation':<12}" + "".join(f"{c:>15}" for c in columns) + "   per core   goal")
    for name in ("authorize", "token", "userinfo", "exchange", "cas login"):
        figures = median[name]
        cpu = figures.get("server_cpu_ms", 0.0)
        goal = GOALS_MS.get(name)
        verdict = f"≤ {goal:g} ms: {'met' if cpu and cpu <= goal else 'not met'}" if goal else ""
        per_core = f"{1000 / cpu:8.1f}/s" if cpu else "        —"
        cells = "".join(f"{figures.get(c, ''):>15}" for c in columns)
        print(f"{name:<12}{cells}  {per_core}   {verdict}")
    print(
        f"(Keycloak publishes {KEYCLOAK_PER_CORE} grants per second per vCPU; an exchange is a"
        " token request and one userinfo.)"
    )
    sso_cas.report(result["cas"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "SEUIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--redis", default="", help="sessions and counters in this Redis; 'private' starts one"
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (median)")
    parser.add_argument(
        "--batch", type=int, default=200, help="operations per phase (codes live 60 s)"
    )
    parser.add_argument("--clients", type=int, default=2 * CORES, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=CORES, help="gunicorn sync workers")
    parser.add_argument("--cas-validations", type=int, default=3000, help="CAS tickets")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "sso.json")
    options = parser.parse_args()
    load_before = [round(x, 2) for x in os.getloadavg()]
    results = [measure(kind, options) for kind in options.databases.split(",")]
    print(f"machine: {CORES} cores, load average before {load_before}")
    for result in results:
        report(result, options)
    print(
        "server_cpu_ms = gunicorn + the database's PostgreSQL backends + Redis (when private),"
        " from /proc, per operation that succeeded."
    )
    options.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"load_average_before": load_before, "results": results}
    options.out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"written to {options.out}")


if __name__ == "__main__":
    main()
