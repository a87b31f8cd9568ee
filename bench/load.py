"""Server CPU per sign-in and per activation over HTTP, against the CPU of the hash they need.

    .venv/bin/python bench/load.py [--databases postgresql,sqlite] [--redis private]
                                   [--seconds 15] [--rounds 3] [--clients 4] [--p95]

An operation is what a browser does: a sign-in is the GET of the sign-in page and its POST; an
activation is the GET of "Validation Personnel" and its POST. The recap page the activation
redirects to is a phase of its own ("recap page"), fetched in the sessions the activations
opened. Each operation starts without cookies, as a new person would.

For each database, on a fresh one:
  1. prepare people with Sésames (import + issue_sesame's model code);
  2. measure the bound: Argon2id hashes per second with the configured costs, one process per
     core, with nothing else running;
  3. `--rounds` times, alternated: the two controls, then seuil, each in a gunicorn with one
     sync worker per core, driven from this separate process by a pool of HTTP clients:
     activations at full speed, their recap pages, then sign-ins as the people just activated;
     with --p95, each again open loop at 80 % of the maximum just measured, for its p95.
  4. print, for each figure, the median over the rounds, the load average of the rounds, and
     whether the goal is met.

The **server CPU** of a phase is what it cost the machine, read from /proc (the threads'
schedstat, in nanoseconds): the gunicorn master and its workers, the PostgreSQL backends
connected to the benchmark's database, and Redis when the benchmark runs its own
(`--redis private`; a shared one's CPU would be everyone's). The load generator's own CPU, which
competes with the server on a small machine, is not in it. The **hash CPU** is timed where the
hash runs: in the workers, on each hash's thread CPU clock (bench/hash_clock.py, enabled by an
environment variable in the benchmark's server only). The **efficiency** is the hash CPU of the
phase divided by its server CPU: the share of the machine's work that buys security, at most 1
by construction.

The controls serve a tiny form and verify one hash per POST: bench/hash_only.py in plain WSGI,
whose efficiency is gunicorn's own floor, and bench/django_floor.py, the same through Django with
only its CSRF middleware, whose efficiency is the floor of any Django application with a form.

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
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import hash_clock
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


def process_cpu(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU seconds of a process (and, with `reaped`, of its children it has
    waited for: a worker gunicorn replaced during a phase still counts). Its threads' run time
    from /proc/<pid>/task/*/schedstat, in nanoseconds, the clock the hash's thread_time() reads;
    the ticks of /proc/<pid>/stat where schedstat is missing, and for the reaped children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    seconds = ticks / TICK
    with contextlib.suppress(OSError, ValueError):
        seconds = (
            sum(
                int(task.joinpath("schedstat").read_text().split()[0])
                for task in Path(f"/proc/{pid}/task").iterdir()
            )
            / 1e9
        )
    if reaped:
        seconds += (int(fields[13]) + int(fields[14])) / TICK  # cutime, cstime
    return seconds


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


@dataclass
class Backends:
    """The processes that serve the server beside gunicorn, whose CPU a phase also costs: the
    PostgreSQL backends connected to the benchmark's database (seuil keeps its connections
    open, conn_max_age) and the Redis server, when it runs on this machine."""

    postgres: str = ""  # the admin URL of the PostgreSQL server, and the database's name
    database: str = ""
    redis_pid: int = 0

    def pids(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {"postgresql": [], "redis": []}
        if self.postgres:
            import psycopg

            with psycopg.connect(self.postgres, autocommit=True) as admin:
                rows = admin.execute(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.database,),
                ).fetchall()
            found["postgresql"] = [pid for (pid,) in rows]
        if self.redis_pid:
            found["redis"] = [self.redis_pid]
        return found

    def cpu(self) -> dict[str, dict[int, float]]:
        return {name: {pid: process_cpu(pid) for pid in pids} for name, pids in self.pids().items()}


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
    gunicorn_cpu: float = 0.0
    backend_cpu: dict[str, float] = field(default_factory=dict)  # PostgreSQL's, Redis'
    hash_cpu: float = 0.0  # timed in the workers (bench/hash_clock.py)
    hashes: int = 0
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
    def server_cpu(self) -> float:
        """What the phase cost the machine: gunicorn, the database's backends and Redis."""
        return self.gunicorn_cpu + sum(self.backend_cpu.values())

    @property
    def throughput(self) -> float:
        return len(self.succeeded) / self.seconds if self.seconds else 0.0

    def per_operation_ms(self, seconds: float) -> float:
        return 1000 * seconds / len(self.succeeded) if self.succeeded else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU per operation that succeeded."""
        return self.per_operation_ms(self.server_cpu)

    @property
    def efficiency(self) -> float:
        """The share of the server's CPU that went into the hashes: at most 1, since each hash
        is timed on its own thread's clock, a part of its worker's CPU."""
        return self.hash_cpu / self.server_cpu if self.server_cpu else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, float | int | str]:
        result: dict[str, float | int | str] = {
            "phase": self.name, "operations": self.operations, "errors": self.errors,
            "per_second": round(self.throughput, 1), "p50_ms": round(self.percentile(0.50), 1),
            "p95_ms": round(self.percentile(0.95), 1), "p99_ms": round(self.percentile(0.99), 1),
            "server_cpu_ms": round(self.cpu_ms, 2),
            "gunicorn_ms": round(self.per_operation_ms(self.gunicorn_cpu), 2),
        }  # fmt: skip
        for name, seconds in self.backend_cpu.items():
            result[f"{name}_ms"] = round(self.per_operation_ms(seconds), 2)
        if self.hashes:
            result["hashes"] = self.hashes
            result["hash_cpu_ms"] = round(self.per_operation_ms(self.hash_cpu), 2)
            result["efficiency"] = round(self.efficiency, 3)
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


def activation(path: str, recaps: "Queue[dict[str, str]] | None" = None) -> Operation:
    """The page and its POST; the recap the POST redirects to is left for its own phase, with
    the cookies it needs, in `recaps`."""

    def operation(http: httpx.Client, data: dict[str, str]) -> bool:
        token = form_token(http, path)
        response = http.post(path, data={"csrfmiddlewaretoken": token, **data})
        if response.status_code != 302:
            return False
        if recaps is not None:
            recaps.put({"login": data["login"], "location": response.headers["location"],
                        **{f"cookie:{k}": v for k, v in http.cookies.items()}})  # fmt: skip
        return True

    return operation


def recap(http: httpx.Client, data: dict[str, str]) -> bool:
    """The recap page an activation redirects to, in the session the activation opened."""
    http.cookies.clear()
    for key, value in data.items():
        if key.startswith("cookie:"):
            http.cookies.set(key.removeprefix("cookie:"), value)
    page = http.get(data["location"])
    return page.status_code == 200 and data["login"] in page.text


PROFILE_DIR: Path | None = None  # --py-spy: where each worker's samples of each phase go


@contextlib.contextmanager
def accounted(phase: Phase, server: "Server") -> Iterator[None]:
    """Bill the phase the server's CPU (gunicorn's, its database backends' and Redis') and the
    CPU of the hashes its workers computed; with --py-spy, sample every worker meanwhile
    (collapsed stacks, one file per worker: bench/stacks.py summarises them)."""
    spies = []
    if PROFILE_DIR:
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
        for worker in children(server.pid):
            name = re.sub(r"\W+", "-", phase.name).strip("-")
            spies.append(
                subprocess.Popen(
                    [
                        *(str(Path(sys.executable).parent / "py-spy"), "record", "--pid"),
                        *(str(worker), "--format", "raw", "--rate", "200", "--nonblocking"),
                        # Not --gil: the Argon2 hash releases the GIL, and would vanish from
                        # the profile. bench/stacks.py leaves out the idle frames instead.
                        *("--output", str(PROFILE_DIR / f"{name}-{worker}.txt")),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    hashed = hash_clock.read(server.clock)
    backends = server.backends.cpu()
    before = server_cpu(server.pid)
    yield
    phase.gunicorn_cpu = server_cpu(server.pid) - before
    after = server.backends.cpu()
    phase.backend_cpu = {
        name: sum(cpu - backends[name].get(pid, 0.0) for pid, cpu in pids.items())
        for name, pids in after.items()
        if pids or backends[name]
    }
    seconds, count = hash_clock.read(server.clock)
    phase.hash_cpu, phase.hashes = seconds - hashed[0], count - hashed[1]
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
    with accounted(phase, server):
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
    with accounted(phase, server):
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
    clock: Path  # where the workers write their hashes' CPU (bench/hash_clock.py)
    backends: Backends

    def workers_rss_mib(self) -> list[float]:
        return [round(resident_mib(pid), 1) for pid in children(self.pid)]


@contextlib.contextmanager
def serve(
    app: str, env: dict[str, str], options: argparse.Namespace, backends: Backends | None = None
) -> Iterator[Server]:
    """gunicorn serving `app`, one worker per core unless told otherwise, its hashes timed."""
    port = free_port()
    clock = Path(tempfile.mkdtemp(prefix="hash-clock-"))
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", app, "--pythonpath", str(ROOT / "bench")),
            *("--workers", str(options.workers), "--worker-class", options.worker_class),
            *("--threads", str(options.threads), "--bind", f"127.0.0.1:{port}"),
            *("--log-level", "warning"),
        ],
        env={**env, hash_clock.ENV: str(clock)},
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
        yield Server(base, process.pid, clock, backends or Backends())
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
        shutil.rmtree(clock, ignore_errors=True)


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


def control(options: argparse.Namespace) -> list[Phase]:
    """The floors seuil is measured against (bench/hash_only.py, bench/django_floor.py)."""
    phases = []
    for name, app in CONTROLS.items():
        with serve(app, dict(os.environ), options) as server:
            phases.append(
                closed_loop(
                    name,
                    server,
                    sign_in("/"),
                    lambda: {"login": "control"},
                    options.clients,
                    options.seconds,
                )
            )
    return phases


@contextlib.contextmanager
def private_redis() -> Iterator[tuple[str, int]]:
    """A Redis server of the benchmark's own, on this machine: its CPU is the benchmark's."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        process.terminate()
        process.wait()


def seuil_round(
    server: Server,
    sesames: "Queue[dict[str, str]]",
    options: argparse.Namespace,
) -> list[Phase]:
    """Activations, their recap pages, then sign-ins as the people just activated, at full
    speed; with --p95, each again open loop at 80 % of the maximum just measured."""
    recaps: Queue[dict[str, str]] = Queue()
    activate = closed_loop(
        "activation",
        server,
        activation(ACTIVATE, recaps),
        sesames.get_nowait,
        options.clients,
        options.seconds,
    )
    recap_pages = closed_loop(
        "recap page", server, recap, recaps.get_nowait, options.clients, options.seconds
    )
    active = activate.succeeded  # sign in as the people just activated, round robin
    counter = iter(range(10**9))

    def credentials() -> dict[str, str]:
        return {"login": active[next(counter) % len(active)], "password": PASSWORD}

    signs = closed_loop(
        "sign-in", server, sign_in(SIGN_IN), credentials, options.clients, options.seconds
    )
    phases = [activate, recap_pages, signs]
    if options.p95:
        phases.append(
            open_loop(
                "activation at 80 %",
                server,
                activation(ACTIVATE),
                0.8 * activate.throughput,
                options.seconds,
                sesames.get_nowait,
            )
        )
        phases.append(
            open_loop(
                "sign-in at 80 %",
                server,
                sign_in(SIGN_IN),
                0.8 * signs.throughput,
                options.seconds,
                credentials,
            )
        )
    return phases


def run(kind: str, options: argparse.Namespace) -> dict[str, object]:
    """`options.rounds` rounds, each the controls then seuil, alternated so that a change in the
    machine's load falls on all of them alike."""
    postgres = options.postgres if kind == "postgresql" else None
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_database(postgres))
        env = {
            **server_env(url),
            # bench/hash_clock.py's hasher in the place of seuil's, and nothing else changed.
            "DJANGO_SETTINGS_MODULE": "timed_settings",
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
        # Enough for two phases a round at 100 activations/s, above what two cores reach.
        per_round = int(options.seconds * 100 * (2 if options.p95 else 1))
        sesames = prepare(
            {**env, "DJANGO_SETTINGS_MODULE": "seuil.settings"}, per_round * options.rounds + 500
        )
        bound = hash_bound(5, COSTS)  # while no server runs: the machine to itself
        rounds = []
        for _ in range(options.rounds):
            load = os.getloadavg()[0]
            phases = control(options)
            with serve("seuil.wsgi:application", env, options, backends) as server:
                phases += seuil_round(server, sesames, options)
                rss = server.workers_rss_mib()
            rounds.append(
                {"load_average": round((load + os.getloadavg()[0]) / 2, 2),
                 "phases": [phase.summary() for phase in phases]}
            )  # fmt: skip
    return {
        "database": kind,
        "redis": options.redis or "none",
        "bound_per_second": round(bound, 1),
        "worker_rss_mib": rss,
        "rounds": rounds,
        "median": medians(rounds),
    }


def medians(rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each phase's figures, the median over the rounds, with the rounds' load average."""
    by_phase: dict[str, list[dict[str, Any]]] = {}
    for one in rounds:
        for phase in one["phases"]:
            by_phase.setdefault(phase["phase"], []).append({**phase, "load": one["load_average"]})
    result = []
    for name, runs in by_phase.items():
        merged: dict[str, Any] = {"phase": name, "rounds": len(runs)}
        for key in runs[0]:
            if key != "phase":
                values = [run[key] for run in runs if key in run]
                merged[key] = round(statistics.median(values), 3)
        result.append(merged)
    return result


# Goals (issue 25): the efficiency of an operation, production configuration.
GOALS = {"sign-in": ("efficiency", 0.85), "activation": ("efficiency", 0.75)}


def verdict(phase: dict[str, Any]) -> str:
    if phase["phase"] not in GOALS:
        return ""
    key, goal = GOALS[phase["phase"]]
    met = "met" if phase.get(key, 0) >= goal else "not met"
    return f"{key} ≥ {goal}: {met}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "SEUIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--redis",
        default="",
        help="sessions and counters in this Redis; 'private' starts one whose CPU is counted",
    )
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "load.json")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (median)")
    parser.add_argument("--p95", action="store_true", help="also open loop at 80 %% of the max")
    parser.add_argument("--clients", type=int, default=2 * CORES)
    parser.add_argument(
        "--workers", type=int, default=CORES, help="gunicorn workers (default: cores)"
    )
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
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
        "rounds": options.rounds,
    }
    out = options.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=1))
    print(
        f"machine: {CORES} cores ({machine['cpu']}), Python {machine['python']}, "
        f"load average before {machine['load_average_before']}; gunicorn {options.workers} "
        f"{options.worker_class} workers, {options.clients} clients, {options.seconds:g} s/phase, "
        f"median of {options.rounds} alternated rounds"
    )
    columns = (
        "per_second", "p95_ms", "server_cpu_ms", "gunicorn_ms", "postgresql_ms", "redis_ms",
        "hash_cpu_ms", "efficiency", "load",
    )  # fmt: skip
    for result in results:
        print(
            f"\n{result['database']} (Redis: {result['redis']}): bound {result['bound_per_second']}"
            f" hashes/s on {CORES} processes; worker RSS {result['worker_rss_mib']} MiB"
        )
        print(f"{'phase':<24}" + "".join(f"{column:>14}" for column in columns) + "  goal")
        for p in result["median"]:  # type: ignore[attr-defined]
            print(
                f"{p['phase']:<24}"
                + "".join(f"{p.get(c, ''):>14}" for c in columns)
                + f"  {verdict(p)}"
            )
    print(
        "\nMedians over the rounds. sign-in = page + POST; activation = page + POST; the recap"
        " page apart. server_cpu_ms = gunicorn + the database's PostgreSQL backends + Redis"
        " (when private), from /proc, per operation that succeeded; hash_cpu_ms = the hashes"
        " timed in the workers on their threads' CPU clocks; efficiency = hash / server CPU."
        " load = the 1-minute load average during the rounds: on a loaded machine a verdict"
        f" says little.\nwritten to {out}"
    )


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main()
