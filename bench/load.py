"""Server CPU per sign-in and per activation over HTTP, against the CPU of the hash they need.

    .venv/bin/python bench/load.py [--databases postgresql,sqlite] [--seconds 15] [--clients 4]

An operation is what a browser does: a sign-in is the GET of the sign-in page and its POST; an
activation is the GET of "Validation Personnel", its POST and the GET of the recap it redirects to.
Each starts without cookies, as a new person would.

For each database, on a fresh one:
  1. prepare people with Sésames (import + issue_sesame's model code);
  2. measure the bound: Argon2id hashes per second with the configured costs, one process per
     core, with nothing else running;
  3. start gunicorn with one sync worker per core, and drive it from this separate process with a
     pool of HTTP clients: activations at full speed, then sign-ins at full speed, as the people
     just activated;
  4. run each again, open loop, at 80 % of the maximum just measured, and report p95 there;
  5. measure the CPU of one hash with time.process_time() over repeated check_password() on a
     hash the server has just stored, in a process of its own.

The **server CPU** of a phase is the user + system CPU that the gunicorn master and its workers
spent during it, read from /proc: the load generator's own CPU, which competes with the server on
a small machine, is not in it. Divided by the operations that succeeded, it gives the server CPU
per operation; the **efficiency** is the hash's CPU per operation (one Argon2id computation for
each kind) divided by that: the share of the server's work that buys security.

Before seuil, the same gunicorn and clients drive two controls that serve a tiny form and verify
one hash per POST: bench/hash_only.py in plain WSGI, whose efficiency is gunicorn's own floor,
and bench/django_floor.py, the same through Django with only its CSRF middleware, whose
efficiency is the floor of any Django application with a form.

It prints the figures and writes them to var/bench/load.json. Mail is built and serialised as for
SMTP by Django's console backend, into /dev/null: an MTA on the same two cores would bill its
CPU to seuil. The rate limit is lifted (every request comes from 127.0.0.1).
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
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
from throwaway import SIGNING_KEY, fresh_database

ROOT = Path(__file__).resolve().parent.parent
CORES = os.cpu_count() or 1
TICK = os.sysconf("SC_CLK_TCK")
PASSWORD = "Lbmx4kr7Tq"  # noqa: S105 -- the benchmark's own people
# In a process of its own, with the server's settings: the bench folder is its argv[1].
PREPARE = """
import json, sys, django
django.setup()
sys.path.insert(0, sys.argv[1])
from throwaway import people_with_sesames
json.dump(people_with_sesames(int(sys.argv[2])), sys.stdout)
"""
# The CPU of one verification of a hash seuil stored during the run, as its workers compute it.
HASH_CPU = """
import sys, time, django
django.setup()
from django.contrib.auth.hashers import check_password
from seuil.accounts.models import Account
encoded = Account.objects.get(login=sys.argv[1]).password
rounds = int(sys.argv[2])
assert check_password(sys.argv[3], encoded)
started = time.process_time()
for _ in range(rounds):
    check_password(sys.argv[3], encoded)
print(encoded.split("$")[3], (time.process_time() - started) / rounds)
"""


def process_cpu(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU seconds of a process (and, with `reaped`, of its children it has
    waited for: a worker gunicorn replaced during a phase still counts)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / TICK


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def server_cpu(master: int) -> float:
    """The CPU the gunicorn master and all its workers have spent so far."""
    return process_cpu(master, reaped=True) + sum(process_cpu(w) for w in children(master))


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Phase:
    name: str
    operations: int = 0
    errors: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)

    def record(self, login: str, ok: bool, elapsed_ms: float) -> None:
        self.operations += 1
        self.latencies_ms.append(elapsed_ms)
        if ok:
            self.succeeded.append(login)
        else:
            self.errors += 1

    @property
    def throughput(self) -> float:
        return len(self.succeeded) / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU per operation that succeeded."""
        return 1000 * self.server_cpu / len(self.succeeded) if self.succeeded else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self, hash_ms: float | None = None) -> dict[str, float | int | str]:
        result: dict[str, float | int | str] = {
            "phase": self.name, "operations": self.operations, "errors": self.errors,
            "per_second": round(self.throughput, 1), "p50_ms": round(self.percentile(0.50), 1),
            "p95_ms": round(self.percentile(0.95), 1), "p99_ms": round(self.percentile(0.99), 1),
            "server_cpu_ms": round(self.cpu_ms, 2),
        }  # fmt: skip
        if hash_ms and self.cpu_ms:
            result["hash_cpu_ms"] = round(hash_ms, 2)
            result["efficiency"] = round(hash_ms / self.cpu_ms, 3)
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


def hash_cpu(env: dict[str, str], login: str, rounds: int) -> tuple[str, float]:
    """The Argon2 parameters of `login`'s stored hash, and the CPU seconds of one check."""
    out = subprocess.run(
        [sys.executable, "-c", HASH_CPU, login, str(rounds), PASSWORD],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return out[0], float(out[1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
Operation = Callable[[httpx.Client, dict[str, str]], bool]


def form_token(http: httpx.Client, path: str) -> str:
    """GET the form as a browser arriving without cookies would, and keep its CSRF token."""
    http.cookies.clear()
    page = http.get(path)
    match = TOKEN.search(page.text)
    assert match, f"no form at {path}: {page.status_code}"
    return match.group(1)


def sign_in(path: str) -> Operation:
    def operation(http: httpx.Client, data: dict[str, str]) -> bool:
        token = form_token(http, path)
        response = http.post(path, data={"csrfmiddlewaretoken": token, **data})
        return response.status_code == 302

    return operation


def activation(path: str) -> Operation:
    def operation(http: httpx.Client, data: dict[str, str]) -> bool:
        token = form_token(http, path)
        response = http.post(path, data={"csrfmiddlewaretoken": token, **data})
        if response.status_code != 302:
            return False
        recap = http.get(response.headers["location"])
        return recap.status_code == 200 and data["login"] in recap.text

    return operation


PROFILE_DIR: Path | None = None  # --py-spy: where each worker's samples of each phase go


@contextlib.contextmanager
def accounted(phase: Phase, master: int) -> Iterator[None]:
    """Bill the phase the server's CPU; with --py-spy, sample every worker meanwhile (collapsed
    stacks, one file per worker: bench/stacks.py summarises them)."""
    spies = []
    if PROFILE_DIR:
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
        for worker in children(master):
            name = re.sub(r"\W+", "-", phase.name).strip("-")
            spies.append(
                subprocess.Popen(
                    [
                        *(str(Path(sys.executable).parent / "py-spy"), "record", "--pid"),
                        *(str(worker), "--format", "raw", "--rate", "200", "--nonblocking"),
                        *("--output", str(PROFILE_DIR / f"{name}-{worker}.txt")),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    before = server_cpu(master)
    yield
    phase.server_cpu = server_cpu(master) - before
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait()


def run_one(
    phase: Phase,
    lock: threading.Lock,
    http: httpx.Client,
    operation: Operation,
    jobs: Callable[[], dict[str, str]],
    *,
    since: float,
) -> bool:
    """One operation on the next job, timed from `since`; False when the jobs ran out."""
    try:
        data = jobs()
    except Empty:
        return False
    ok = operation(http, data)
    with lock:
        phase.record(data["login"], ok, (time.perf_counter() - since) * 1000)
    return True


def closed_loop(
    name: str,
    server: "Server",
    operation: Operation,
    jobs: Callable[[], dict[str, str]],
    clients: int,
    seconds: float,
) -> Phase:
    """`clients` clients run operations back to back: the maximum the server sustains."""
    phase = Phase(name)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        with httpx.Client(base_url=server.base, timeout=60) as http:
            while time.perf_counter() < deadline:
                if not run_one(phase, lock, http, operation, jobs, since=time.perf_counter()):
                    break

    threads = [threading.Thread(target=client) for _ in range(clients)]
    with accounted(phase, server.pid):
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        phase.seconds = time.perf_counter() - started
    return phase


def open_loop(
    name: str,
    server: "Server",
    operation: Operation,
    rate: float,
    seconds: float,
    jobs: Callable[[], dict[str, str]],
    pool: int = 32,
) -> Phase:
    """Operations started at a fixed rate, whatever the answers' pace: the latency a crowd
    meets, from when each operation was due (queueing counts)."""
    phase = Phase(name)
    lock = threading.Lock()
    due: Queue[float | None] = Queue()

    def client() -> None:
        with httpx.Client(base_url=server.base, timeout=60) as http:
            while (at := due.get()) is not None:
                delay = at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                if not run_one(phase, lock, http, operation, jobs, since=at):
                    break

    threads = [threading.Thread(target=client) for _ in range(pool)]
    with accounted(phase, server.pid):
        for thread in threads:
            thread.start()
        start = time.perf_counter() + 0.2
        for n in range(int(rate * seconds)):
            due.put(start + n / rate)
        for _ in threads:
            due.put(None)
        for thread in threads:
            thread.join()
    phase.seconds = seconds
    return phase


COSTS = (
    int(os.environ.get("SEUIL_ARGON2_TIME_COST", "2")),
    int(os.environ.get("SEUIL_ARGON2_MEMORY_KIB", "19456")),
    int(os.environ.get("SEUIL_ARGON2_PARALLELISM", "1")),
)
ACTIVATE = "/gestion-de-compte/validation-personnel/"
SIGN_IN = "/gestion-de-compte/se-connecter/"


@dataclass
class Server:
    base: str
    pid: int

    def workers_rss_mib(self) -> list[float]:
        return [round(resident_mib(pid), 1) for pid in children(self.pid)]


@contextlib.contextmanager
def serve(app: str, env: dict[str, str], options: argparse.Namespace) -> Iterator[Server]:
    """gunicorn serving `app`, one worker per core unless told otherwise."""
    port = free_port()
    process = subprocess.Popen(
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
        # Every worker answers once before anything is measured: imports and first renders
        # are a start-up cost, not a per-operation one.
        for _ in range(4 * options.workers):
            httpx.get(base + SIGN_IN, timeout=10)
            httpx.get(base + ACTIVATE, timeout=10)
        yield Server(base, process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()


def server_env(url: str) -> dict[str, str]:
    """seuil as in production (debug off, plain HTTP on loopback only) on the database `url`."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SEUIL_SECRET_KEY": "bench-" + "k" * 50,
        "SEUIL_ENV_FILE": "",  # production settings, whatever make run wrote
        "SEUIL_OIDC_KEY_FILE": SIGNING_KEY,
        "SEUIL_ALLOWED_HOSTS": "127.0.0.1",
        "SEUIL_SECURE_COOKIES": "false",
        "SEUIL_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "seuil.settings",
    }


def prepare(env: dict[str, str], count: int) -> "Queue[dict[str, str]]":
    """Migrate, collect static files, register `count` people and issue their Sésames."""
    for command in (["migrate"], ["collectstatic", "--no-input"]):
        subprocess.run([sys.executable, "-m", "seuil", *command, "-v", "0"], env=env, check=True)
    prepared = subprocess.run(
        [sys.executable, "-c", PREPARE, str(ROOT / "bench"), str(count)],
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


CONTROLS = {
    # gunicorn's own floor: a tiny form and one hash per POST, in plain WSGI.
    "hash only (control)": "hash_only:application",
    # Django's: the same, through Django with the CSRF middleware alone.
    "django floor (control)": "django_floor:application",
}


def control(options: argparse.Namespace, hash_ms: float) -> list[dict[str, float | int | str]]:
    """The floors seuil is measured against (bench/hash_only.py, bench/django_floor.py)."""
    phases = []
    for name, app in CONTROLS.items():
        with serve(app, dict(os.environ), options) as server:
            phase = closed_loop(
                name,
                server,
                sign_in("/"),
                lambda: {"login": "control"},
                options.clients,
                options.seconds,
            )
        phases.append(phase.summary(hash_ms))
    return phases


def run(kind: str, options: argparse.Namespace) -> dict[str, object]:
    with fresh_database(options.postgres if kind == "postgresql" else None) as url:
        env = {
            **server_env(url),
            "SEUIL_RATE_LIMIT": "100000000/m",
            "SEUIL_EMAIL_BACKEND": "console",
        }
        if options.redis:
            env["SEUIL_REDIS_URL"] = options.redis
        # Enough for two phases at 100 activations/s, above what two cores reach.
        sesames = prepare(env, int(options.seconds * 100 * 2) + 500)
        bound = hash_bound(5, COSTS)  # while no server runs: the machine to itself
        with serve("seuil.wsgi:application", env, options) as server:
            activate = closed_loop(
                "activation",
                server,
                activation(ACTIVATE),
                sesames.get_nowait,
                options.clients,
                options.seconds,
            )
            active = activate.succeeded  # sign in as the people just activated, round robin
            counter = iter(range(10**9))

            def credentials() -> dict[str, str]:
                return {"login": active[next(counter) % len(active)], "password": PASSWORD}

            signs = closed_loop(
                "sign-in", server, sign_in(SIGN_IN), credentials, options.clients, options.seconds
            )
            slow = open_loop(
                "activation at 80 %",
                server,
                activation(ACTIVATE),
                0.8 * activate.throughput,
                options.seconds,
                sesames.get_nowait,
            )
            slow_in = open_loop(
                "sign-in at 80 %",
                server,
                sign_in(SIGN_IN),
                0.8 * signs.throughput,
                options.seconds,
                credentials,
            )
            rss = server.workers_rss_mib()
        # The server has stopped: the hash is timed with the machine to itself.
        params, one_hash = hash_cpu(env, active[0], options.hash_rounds)
        hash_ms = one_hash * 1000
        phases = control(options, hash_ms)
    phases += [
        activate.summary(hash_ms),  # one Argon2id hash: the new password's (the Sésame's is HMAC)
        signs.summary(hash_ms),  # one Argon2id verification
        slow.summary(hash_ms),
        slow_in.summary(hash_ms),
    ]
    return {
        "database": kind,
        "bound_per_second": round(bound, 1),
        "hash": params,
        "hash_cpu_ms": round(hash_ms, 2),
        "worker_rss_mib": rss,
        "phases": phases,
    }


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
    parser.add_argument("--hash-rounds", type=int, default=200)
    parser.add_argument(
        "--py-spy", metavar="DIR", type=Path, help="sample the workers with py-spy into DIR"
    )
    options = parser.parse_args()
    global PROFILE_DIR
    PROFILE_DIR = options.py_spy
    load_before = os.getloadavg()
    results = [run(database, options) for database in options.databases.split(",")]
    machine = {
        "cores": CORES,
        "cpu": _cpu_model(),
        "python": sys.version.split()[0],
        "kernel": platform.release(),
        "load_average_before": [round(x, 2) for x in load_before],
        "workers": options.workers,
        "worker_class": options.worker_class,
        "threads": options.threads,
        "clients": options.clients,
        "seconds": options.seconds,
    }
    out = ROOT / "var" / "bench" / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=1))
    print(
        f"machine: {CORES} cores ({machine['cpu']}), Python {machine['python']}, "
        f"load average before {machine['load_average_before']}; gunicorn {options.workers} "
        f"{options.worker_class} workers, {options.clients} clients, {options.seconds:g} s/phase"
    )
    columns = (
        "operations", "errors", "per_second", "p95_ms",
        "server_cpu_ms", "hash_cpu_ms", "efficiency",
    )  # fmt: skip
    for result in results:
        print(
            f"\n{result['database']}: hash {result['hash']}, {result['hash_cpu_ms']} ms CPU; "
            f"bound {result['bound_per_second']} hashes/s on {CORES} processes; "
            f"worker RSS after the load {result['worker_rss_mib']} MiB"
        )
        print(f"{'phase':<20}" + "".join(f"{column:>14}" for column in columns))
        for p in result["phases"]:  # type: ignore[attr-defined]
            print(f"{p['phase']:<20}" + "".join(f"{p.get(c, ''):>14}" for c in columns))
    print(
        "\nAn operation: sign-in = page + POST; activation = page + POST + recap. server_cpu_ms:"
        " gunicorn master + workers, from /proc, per operation that succeeded; efficiency ="
        f" hash_cpu_ms / server_cpu_ms.\nwritten to {out}"
    )


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main()
