"""Throughput of activations and sign-ins over HTTP, against the bound the password hash sets.

    .venv/bin/python bench/load.py [--databases postgresql,sqlite] [--seconds 15] [--clients 6]

For each database, on a fresh one:
  1. prepare people with Sésames (import + issue_sesame's model code);
  2. measure the bound: Argon2id hashes per second with the configured costs, one process per
     core, divided by the hashes a request needs (one, for an activation with a personal e-mail,
     and for a sign-in);
  3. start gunicorn with one worker per core, and drive it from this separate process with a pool
     of HTTP clients: activations at full speed, then sign-ins at full speed;
  4. run each again, open loop, at 80 % of the maximum just measured, and report p95 there.

Before seuil, the same gunicorn and clients drive bench/hash_only.py, an application that only
verifies one hash per POST: its ratio is the ceiling this harness reaches on the machine, since
the clients, the TCP connections and gunicorn share the cores with the hashing.

It prints the figures and writes them to var/bench/load.json. Mail is built and serialised as for
SMTP by Django's console backend, into /dev/null: an MTA on the same two cores would bill its
CPU to seuil. The rate limit is lifted (every request comes from 127.0.0.1).
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue

import httpx
from throwaway import fresh_database

ROOT = Path(__file__).resolve().parent.parent
CORES = os.cpu_count() or 1
PASSWORD = "Lbmx4kr7Tq"  # noqa: S105 -- the benchmark's own people
PREPARE = """
import json, sys, django
django.setup()
from django.db import transaction
from seuil.activation.models import Sesame
from seuil.people.importing import parse_people_csv
from seuil.people.models import Person
count = int(sys.argv[1])
header = "status;external_id;first_name;last_name;birth_date;start_date;end_date\\n"
rows = [f"administratif;B{n:06d};Jean;Bench{n};1980-01-01;2026-01-01;\\n" for n in range(count)]
people, errors = parse_people_csv((header + "".join(rows)).encode())
assert not errors, errors[:3]
Person.objects.import_rows(people)
with transaction.atomic():
    accounts = [p.account for p in Person.objects.select_related("account")]
    codes = [(account.login, Sesame.issue(account)[1]) for account in accounts]
json.dump(codes, sys.stdout)
"""


@dataclass
class Phase:
    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)

    def record(self, login: str, status: int, elapsed_ms: float) -> None:
        self.requests += 1
        self.latencies_ms.append(elapsed_ms)
        if status == 302:  # every form here answers a success with a redirect
            self.succeeded.append(login)
        else:
            self.errors += 1

    @property
    def throughput(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self, bound: float | None = None) -> dict[str, float | int | str]:
        result: dict[str, float | int | str] = {
            "phase": self.name, "requests": self.requests, "errors": self.errors,
            "per_second": round(self.throughput, 1), "p50_ms": round(self.percentile(0.50), 1),
            "p95_ms": round(self.percentile(0.95), 1), "p99_ms": round(self.percentile(0.99), 1),
        }  # fmt: skip
        if bound:
            result["ratio_to_bound"] = round(self.throughput / bound, 3)
        return result


def _hash_for(
    seconds: float, costs: tuple[int, int, int], out: "multiprocessing.Queue[int]"
) -> None:
    import argon2

    time_cost, memory, parallelism = costs
    hasher = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory, parallelism=parallelism)
    done, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        hasher.hash(PASSWORD)
        done += 1
    out.put(done)


def hash_bound(seconds: float, costs: tuple[int, int, int]) -> float:
    """Hashes per second, one process per core, as the server's workers would compute them."""
    results: multiprocessing.Queue[int] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_hash_for, args=(seconds, costs, results))
        for _ in range(CORES)
    ]
    for worker in workers:
        worker.start()
    total = sum(results.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def csrf_client(base: str, path: str) -> tuple[httpx.Client, str]:
    """A client that has loaded the form once, as a browser would, and keeps its CSRF cookie:
    a sign-in rotates the token, and each request here stands for a new person."""
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get(path)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, f"no form at {path}: {page.status_code}"
    cookie = client.cookies["csrftoken"]
    client.event_hooks["response"] = [lambda response: _keep_only(client, cookie)]
    return client, match.group(1)


def _keep_only(client: httpx.Client, cookie: str) -> None:
    client.cookies.clear()
    client.cookies.set("csrftoken", cookie)


def closed_loop(
    name: str,
    base: str,
    path: str,
    jobs: Callable[[], dict[str, str]],
    clients: int,
    seconds: float,
) -> Phase:
    """`clients` clients send requests back to back: the maximum the server sustains."""
    phase = Phase(name)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        http, token = csrf_client(base, path)
        while time.perf_counter() < deadline:
            try:
                data = jobs()
            except Empty:
                break
            started = time.perf_counter()
            response = http.post(path, data={"csrfmiddlewaretoken": token, **data})
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                phase.record(data["login"], response.status_code, elapsed)
        http.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - started
    return phase


def open_loop(
    name: str,
    base: str,
    path: str,
    rate: float,
    seconds: float,
    data: Callable[[], dict[str, str]],
    pool: int = 32,
) -> Phase:
    """Requests at a fixed rate, whatever the answers' pace: the latency a crowd meets."""
    phase = Phase(name)
    lock = threading.Lock()
    due: Queue[float | None] = Queue()
    clients = [csrf_client(base, path) for _ in range(pool)]

    def client(http: httpx.Client, token: str) -> None:
        while (at := due.get()) is not None:
            delay = at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                fields = data()
            except Empty:
                break
            response = http.post(path, data={"csrfmiddlewaretoken": token, **fields})
            elapsed = (time.perf_counter() - at) * 1000  # from when it was due: queueing counts
            with lock:
                phase.record(fields["login"], response.status_code, elapsed)

    threads = [threading.Thread(target=client, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.2
    count = int(rate * seconds)
    for n in range(count):
        due.put(start + n / rate)
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    phase.seconds = seconds
    for http, _ in clients:
        http.close()
    return phase


COSTS = (
    int(os.environ.get("SEUIL_ARGON2_TIME_COST", "2")),
    int(os.environ.get("SEUIL_ARGON2_MEMORY_KIB", "19456")),
    int(os.environ.get("SEUIL_ARGON2_PARALLELISM", "1")),
)
ACTIVATE = "/gestion-de-compte/validation-personnel/"
SIGN_IN = "/gestion-de-compte/se-connecter/"


@contextlib.contextmanager
def serve(app: str, env: dict[str, str], options: argparse.Namespace) -> Iterator[str]:
    """gunicorn serving `app`, one worker per core unless told otherwise; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", app, "--pythonpath", str(ROOT / "bench")),
            *("--workers", str(options.workers), "--worker-class", options.worker_class),
            *("--threads", str(options.threads), "--bind", f"127.0.0.1:{port}"),
            *("--log-level", "warning"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


def prepare(env: dict[str, str], count: int) -> "Queue[dict[str, str]]":
    """Migrate, collect static files, register `count` people and issue their Sésames."""
    for command in (["migrate"], ["collectstatic", "--no-input"]):
        subprocess.run([sys.executable, "-m", "seuil", *command, "-v", "0"], env=env, check=True)
    prepared = subprocess.run(
        [sys.executable, "-c", PREPARE, str(count)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    sesames: Queue[dict[str, str]] = Queue()
    for login, code in json.loads(prepared.stdout):
        sesames.put(
            {
                "login": login,
                "sesame": code,
                "password1": PASSWORD,
                "password2": PASSWORD,
                "personal_email": f"{login}@example.org",
                "charter": "on",
            }
        )
    return sesames


def control(options: argparse.Namespace, bound: float) -> dict[str, float | int | str]:
    """The harness's own ceiling: bench/hash_only.py, one hash per POST and nothing else."""
    with serve("hash_only:application", dict(os.environ), options) as base:
        phase = closed_loop(
            "hash only (control)",
            base,
            "/",
            lambda: {"login": "control"},
            options.clients,
            options.seconds,
        )
    return phase.summary(bound)


def run(kind: str, options: argparse.Namespace) -> dict[str, object]:
    with fresh_database(options.postgres if kind == "postgresql" else None) as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SEUIL_SECRET_KEY": "bench-" + "k" * 50,
            "SEUIL_ENV_FILE": "",  # production settings, whatever make run wrote
            "SEUIL_ALLOWED_HOSTS": "127.0.0.1",
            "SEUIL_SECURE_COOKIES": "false",
            "SEUIL_RATE_LIMIT": "100000000/m",
            "SEUIL_EMAIL_BACKEND": "console",
            "DJANGO_SETTINGS_MODULE": "seuil.settings",
        }
        if options.redis:
            env["SEUIL_REDIS_URL"] = options.redis
        # Enough for two phases at 200 activations/s, above what two cores reach.
        sesames = prepare(env, int(options.seconds * 200 * 2) + 500)
        bound = hash_bound(5, COSTS)  # while no server runs: the machine to itself
        phases = [control(options, bound)]
        with serve("seuil.wsgi:application", env, options) as base:
            phase = closed_loop(
                "activation", base, ACTIVATE, sesames.get_nowait, options.clients, options.seconds
            )
            active = phase.succeeded  # sign in as the people just activated, round robin
            counter = iter(range(10**9))

            def credentials() -> dict[str, str]:
                return {"login": active[next(counter) % len(active)], "password": PASSWORD}

            phase_in = closed_loop(
                "sign-in", base, SIGN_IN, credentials, options.clients, options.seconds
            )
            slow = open_loop(
                "activation at 80 %",
                base,
                ACTIVATE,
                0.8 * phase.throughput,
                options.seconds,
                sesames.get_nowait,
            )
            slow_in = open_loop(
                "sign-in at 80 %",
                base,
                SIGN_IN,
                0.8 * phase_in.throughput,
                options.seconds,
                credentials,
            )
    phases += [phase.summary(bound), phase_in.summary(bound), slow.summary(), slow_in.summary()]
    return {"database": kind, "bound_per_second": round(bound, 1), "costs": COSTS, "phases": phases}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "SEUIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--redis", default="", help="keep the throttle counters in this Redis")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=2 * CORES)
    parser.add_argument(
        "--workers", type=int, default=CORES, help="gunicorn workers (default: cores)"
    )
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()
    results = []
    for database in options.databases.split(","):
        results.append(run(database, options))
    machine = {
        "cores": CORES,
        "python": sys.version.split()[0],
        "workers": options.workers,
        "worker_class": options.worker_class,
        "threads": options.threads,
        "clients": options.clients,
    }
    out = ROOT / "var" / "bench" / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=1))
    columns = ("requests", "errors", "per_second", "p50_ms", "p95_ms", "p99_ms", "ratio_to_bound")
    for result in results:
        print(
            f"\n{result['database']}: bound {result['bound_per_second']} requests/s"
            f" (Argon2id t, m, p = {result['costs']}, {CORES} processes)"
        )
        print(f"{'phase':<20}" + "".join(f"{column:>15}" for column in columns))
        for p in result["phases"]:  # type: ignore[attr-defined]
            print(f"{p['phase']:<20}" + "".join(f"{p.get(c, ''):>15}" for c in columns))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
