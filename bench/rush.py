"""The September rush, with faults: two seuil hosts under load while PostgreSQL, Redis, the
directory and mail fail, and what was lost (issue 26).

    .venv/bin/python bench/rush.py [--seconds 600] [--faults all|pg,redis,...] [--ci]

It starts its own servers (bench/rush_stack.py): PostgreSQL (initdb in a temporary folder) and
Redis on their own ports, slapd, an SMTP server that records what it receives, two gunicorn
hosts (one worker per core each) sharing them, and one address in front (bench/rush_proxy.py).
It registers people, then:

1. **Capacity**, measured in the same run: the mix below, closed loop, as fast as it goes.
2. **The rush**: the same mix, open loop, at 80 % of that capacity, for --seconds. The mix, in
   journeys (bench/rush_journeys.py): staff activations with a Sésame 22 %, student activations
   (number, birth date, the code mailed) 10 %, sign-ins 28 %, password changes 8 %, resets by
   mail (the link mailed) 8 %, OpenID Connect code exchanges (authorize, token, userinfo) 12 %,
   CAS validations (login, serviceValidate) 12 %. A person whose journey was refused comes back
   later with the same Sésame or number. "Cron" runs `send_mail` and `sync_directory` every 20 s.
3. **The faults**, one at a time, evenly spaced: kill -9 of a worker on host A, then on host B;
   PostgreSQL stopped `immediate` for 20 s; Redis killed for 20 s (it comes back empty); host A
   stopped for good, half-way; slapd stopped for 60 s; SMTP refusing every message (451) for
   60 s. Runs shorter than 10 minutes shorten the long faults in proportion (the table says so).
   Before the rush, a probe account is locked by five wrong passwords; while PostgreSQL or Redis
   is away, its right password is tried: it must never get in.
4. **The checks** (issue 26 §3), after one `send_mail` and one `sync_directory`: every
   activation that showed its recap is active and its password binds; every password "changé"
   binds; no Sésame or student code served twice; no account with a used Sésame and no
   password; every queued mail delivered exactly once (by its Message-ID) or still visibly
   waiting; `sync_directory --full --dry-run` has nothing to do; no 500 answered or logged, no
   traceback; every 503 in French and English; the locked probe never let in; the time from each
   fault's end to the first success and to full rate.

It prints the table of §4 and the verdicts, writes them to var/bench/rush.json (the hosts' logs
to var/bench/rush-hosts.log), and exits 1 if a verdict fails. The goals that are figures (p95
under 250 ms outside the faults, recovery within 5 s, the lost host costing only what it held)
are printed as met or missed but do not fail the run: on a shared machine they measure the
neighbours too. --ci: a short run (PostgreSQL and Redis only, under a minute) for .ci/run.
"""

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rush_journeys as journeys
from rush_stack import (
    PG_BINS,
    ROOT,
    Directory,
    Host,
    Mailbox,
    Postgres,
    Proxy,
    Redis,
    cpu_by_process,
    folder,
)
from throwaway import SIGNING_KEY

CORES = os.cpu_count() or 1
Actions = dict[str, Callable[[], object]]
WRONG = "Wrong0000"  # the probe's wrong password, that locks it
PREPARE = """
import json, sys, django
django.setup()
sys.path.insert(0, sys.argv[1])
from datetime import date
from django.contrib.auth.hashers import make_password
from seuil.accounts.models import Account
from seuil.cas.models import CasService, Kind
from seuil.people.importing import parse_people_csv
from seuil.people.models import Person
from seuil.sso.models import Claim, Service
from throwaway import people_with_sesames
staff_count, students, pool, redirect, cas, password = sys.argv[2:]
staff = people_with_sesames(int(staff_count))
header = "status;external_id;first_name;last_name;birth_date;start_date;end_date;personal_email\\n"
rows = [f"etudiant;{22700000 + n};Zoé;Rush{n};2005-03-01;2026-01-01;;zoe{n}@example.org\\n"
        for n in range(int(students))]
rows += [f"administratif;P{n:06d};Paul;Pool{n};1980-01-01;2026-01-01;;\\n"
         for n in range(int(pool))]
found, errors = parse_people_csv((header + "".join(rows)).encode())
assert not errors, errors[:3]
Person.objects.import_rows(found)
students = [{"number": p.external_id, "born": "01/03/2005", "email": p.personal_email,
             "login": p.account.login} for p in Person.objects.filter(status="etudiant")
             .select_related("account")]
pooled = Account.objects.filter(person__external_id__startswith="P").order_by("pk")
hashed = make_password(password)  # one hash for all: preparing is not what is measured
for account in pooled:
    address = f"{account.login}@example.org"
    account.activate(password_hash=hashed, email=address, question="", answer_hash="",
                     proven=address)
service = Service.objects.register(
    name="Espace de cours", url="https://cours.example/", theme="pedagogie",
    statuses=["administratif"], redirect_uris=[redirect], claims=Claim.values,
)
CasService.objects.replace_for(service.service, kind=Kind.SERVICE, prefixes=[cas])
probe = pooled.first()
print(json.dumps({"staff": staff, "students": students, "probe": probe.login,
                  "pool": [a.login for a in pooled.exclude(pk=probe.pk)],
                  "oidc": [service.client_id, service.client_secret]}))
"""


@dataclass
class Fault:
    name: str
    start: float = 0.0  # seconds since the rush began
    end: float = 0.0  # when the fault ended (== start for an instant one)
    lasting: float = 0.0  # planned length
    back: float = 0.0  # when its end began (Redis being started again), for the fail-open check


def seuil(env: dict[str, str], *args: str, check: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "seuil", *args], env=env, capture_output=True, text=True, check=False
    )
    if check and done.returncode:
        raise RuntimeError(f"seuil {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout + done.stderr


def server_env(
    pg: Postgres, redis: Redis, directory: Directory, mailbox: Mailbox
) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": pg.url,
        "SEUIL_REDIS_URL": redis.url,
        "SEUIL_SECRET_KEY": "rush-" + "k" * 50,
        "SEUIL_ENV_FILE": "",
        "SEUIL_OIDC_KEY_FILE": SIGNING_KEY,
        "SEUIL_ALLOWED_HOSTS": "127.0.0.1",
        "SEUIL_SECURE_COOKIES": "false",
        "SEUIL_DEBUG": "false",
        "SEUIL_RATE_LIMIT": "100000/m",  # every person comes from 127.0.0.1 here
        "SEUIL_EMAIL_HOST": "127.0.0.1",
        "SEUIL_EMAIL_PORT": str(mailbox.port),
        "DJANGO_SETTINGS_MODULE": "seuil.settings",
        **directory.settings(),
    }


def prepare(
    env: dict[str, str], state: journeys.State, staff: int, students: int, pool: int
) -> str:
    # The static files do not need the database: they are gathered while it is migrated.
    static = subprocess.Popen(
        [sys.executable, "-m", "seuil", "collectstatic", "--no-input", "-v", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seuil(env, "migrate", "-v", "0")
    if static.wait():
        raise RuntimeError(f"seuil collectstatic: {static.communicate()[1][-2000:]}")
    done = subprocess.run(
        [sys.executable, "-c", PREPARE, str(ROOT / "bench"), str(staff), str(students), str(pool),
         journeys.REDIRECT, journeys.CAS_SERVICE, journeys.POOL_PASSWORD],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    people = json.loads(done.stdout)
    for login, sesame in people["staff"]:
        password = journeys.new_password()
        state.staff.put({"login": login, "sesame": sesame, "password1": password,
                         "password2": password, "personal_email": f"{login}@example.org",
                         "charter": "on"})  # fmt: skip
    for student in people["students"]:
        state.students.put(student)
    for login in people["pool"]:
        state.pool.put((login, journeys.POOL_PASSWORD))
    state.oidc = tuple(people["oidc"])
    seuil(env, "sync_directory")  # the pool's accounts exist in the directory before the rush
    return str(people["probe"])


def capacity(state: journeys.State, seconds: float, clients: int) -> float:
    """Journeys per second that succeed, closed loop: each client starts the next at once."""
    done: list[str] = []
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop:
            done.append(journeys.run_one(state, rng)[1])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(1 for outcome in done if outcome in ("ok", "already")) / seconds


def schedule(names: list[str], seconds: float) -> list[Fault]:
    """The faults, evenly spaced; the long ones shortened in proportion below 10 minutes."""
    scale = min(1.0, seconds / 600)
    planned = {"worker A": 0, "worker B": 0, "PostgreSQL": 20, "Redis": 20, "host A": 0,
               "slapd": 60, "SMTP": 60}  # fmt: skip
    # A short run (CI) keeps each outage long enough to be one: at least 8 s.
    lasting = {name: max(planned[name] * scale, min(planned[name], 8)) for name in planned}
    faults = [Fault(name, lasting=lasting[name]) for name in planned if name in names]
    gap = (seconds - sum(f.lasting for f in faults)) / (len(faults) + 1)
    at = 0.0
    for fault in faults:
        at += gap
        fault.start = at
        at += fault.lasting
    return faults


class Rush:
    def __init__(self, options: argparse.Namespace, base: Path) -> None:
        self.options = options
        self.pg, self.redis = Postgres(base), Redis(base)
        self.pg.start()
        self.pg.create()
        self.redis.start()
        self.directory = Directory(base)
        self.mailbox = Mailbox(base)
        self.mailbox.start()
        self.env = server_env(self.pg, self.redis, self.directory, self.mailbox)
        self.state = journeys.State(base="", mailbox=self.mailbox)
        rate_guess = 8 * options.seconds  # more people than the rush can meet
        say("servers up; registering people")
        self.probe = prepare(
            self.env,
            self.state,
            int(0.3 * rate_guess),
            int(0.12 * rate_guess),
            pool=80 if options.ci else 300,
        )
        say("people ready; starting the hosts")
        self.hosts = [Host(name, self.env, base, CORES) for name in ("A", "B")]
        for host in self.hosts:
            host.start()
        self.proxy = Proxy(self.hosts)
        self.state.base = self.proxy.base
        self.outcomes: list[tuple[float, str, str]] = []
        self.probe_results: list[str] = []
        self.cron_log: list[str] = []
        # (second, journeys waiting for a free client): a backlog that grows is load above capacity.
        self.backlog: list[tuple[float, int]] = []
        # (second, {pid: (role, CPU seconds)}): which part of the rush the cores went to.
        self.cpu: list[tuple[float, dict[int, tuple[str, float]]]] = []
        self.wall_started = time.time()

    def close(self) -> None:
        for stop in (self.proxy.stop, *(h.stop for h in self.hosts), self.mailbox.stop,
                     self.directory.sandbox.stop, self.redis.kill, self.pg.stop):  # fmt: skip
            try:
                stop()
            except Exception as error:  # noqa: BLE001 -- tear down the rest whatever happens
                print(f"tear-down: {error}", file=sys.stderr)

    # --- the faults -----------------------------------------------------------------------------

    def lock_probe(self) -> None:
        for _ in range(5):
            with (
                journeys.Browser(self.state, "probe") as browser,
                contextlib.suppress(journeys.Failed),
            ):
                browser.post(journeys.SIGN_IN, (200,), login=self.probe, password=WRONG)

    def try_probe(self) -> None:
        """The probe's right password, while its lock's counter is unreachable."""
        with journeys.Browser(self.state, "probe") as browser:
            try:
                browser.sign_in(self.probe, journeys.POOL_PASSWORD)
                self.probe_results.append("signed in")
            except journeys.Failed as failed:
                self.probe_results.append(failed.outcome)

    def inflict(self, fault: Fault) -> None:
        a, b = self.hosts
        mailbox = self.mailbox
        start: Actions = {"worker A": a.kill_worker, "worker B": b.kill_worker, "host A": a.kill,
                 "PostgreSQL": self.pg.crash, "Redis": self.redis.kill,
                 "slapd": self.directory.stop,
                 "SMTP": lambda: setattr(mailbox, "refusing", True)}  # fmt: skip
        end: Actions = {"PostgreSQL": self.pg.start, "Redis": self.redis.start,
               "slapd": self.directory.start,
               "SMTP": lambda: setattr(mailbox, "refusing", False)}  # fmt: skip
        fault.start = self.state.now()
        start[fault.name]()
        if fault.name in end:
            if fault.name in ("Redis", "PostgreSQL"):
                time.sleep(min(3.0, fault.lasting / 2))
                self.try_probe()
            time.sleep(max(0.0, fault.start + fault.lasting - self.state.now()))
            fault.back = self.state.now()
            end[fault.name]()
        fault.end = self.state.now()
        print(f"  {fault.end:6.1f} s  {fault.name} done ({fault.end - fault.start:.1f} s)")

    def faults(self, plan: list[Fault]) -> None:
        for fault in plan:
            time.sleep(max(0.0, fault.start - self.state.now()))
            self.inflict(fault)

    def cron(self, stop: threading.Event) -> None:
        while not stop.wait(20):
            for command in (["send_mail"], ["sync_directory"]):
                self.cron_log.append(seuil(self.env, *command, check=False).strip()[-200:])

    # --- the load -------------------------------------------------------------------------------

    def rush(self, rate: float, seconds: float, plan: list[Fault]) -> None:
        tickets: Queue[float | None] = Queue()
        rng = random.Random(26)

        def person() -> None:
            while (ticket := tickets.get()) is not None:
                name, outcome = journeys.run_one(self.state, rng)
                self.outcomes.append((ticket, name, outcome))

        self.lock_probe()  # locked for 15 minutes: in force when Redis goes, whenever that is
        people = [threading.Thread(target=person) for _ in range(48)]
        for thread in people:
            thread.start()
        stop = threading.Event()
        side = [threading.Thread(target=self.faults, args=(plan,)),
                threading.Thread(target=self.cron, args=(stop,))]  # fmt: skip
        for thread in side:
            thread.start()
        began = self.state.now()
        sent = 0
        while (elapsed := self.state.now() - began) < seconds:
            while sent < elapsed * rate:
                tickets.put(self.state.now())
                sent += 1
            if not self.backlog or self.state.now() - self.backlog[-1][0] >= 1:
                self.backlog.append((self.state.now(), tickets.qsize()))
                self.cpu.append((self.state.now(), cpu_by_process()))
            time.sleep(0.01)
        while not tickets.empty():  # the time is up: people not yet served stay home
            with contextlib.suppress(Empty):
                tickets.get_nowait()
        for _ in people:
            tickets.put(None)
        for thread in people:
            thread.join()
        stop.set()
        for thread in side:
            thread.join()


def missing_components() -> list[str]:
    """What the rush runs and this machine lacks (Debian: postgresql, redis-server, slapd)."""
    found = {
        "initdb": bool(PG_BINS) or shutil.which("initdb") is not None,
        "redis-server": shutil.which("redis-server") is not None,
        "slapd": Path("/usr/sbin/slapd").is_file(),  # where seuil.directory.sandbox runs it
    }
    return [name for name, there in found.items() if not there]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600, help="the rush (default 600)")
    parser.add_argument("--capacity-seconds", type=float, default=30)
    parser.add_argument(
        "--faults", default="all", help="all, or a list: pg,redis,workers,host,slapd,smtp"
    )
    parser.add_argument("--ci", action="store_true", help="40 s, PostgreSQL and Redis only")
    options = parser.parse_args()
    if options.ci:
        options.seconds, options.capacity_seconds, options.faults = 40, 8, "pg,redis"
    names = {"pg": ["PostgreSQL"], "redis": ["Redis"], "workers": ["worker A", "worker B"],
             "host": ["host A"], "slapd": ["slapd"], "smtp": ["SMTP"]}  # fmt: skip
    chosen = (
        [n for group in names.values() for n in group]
        if options.faults == "all"
        else [n for key in options.faults.split(",") for n in names[key.strip()]]
    )
    import rush_report

    if options.ci and (missing := missing_components()):
        # As the suite does: a missing part skips loudly, and fails where all are required (CI).
        print(f"MISSING COMPONENT {', '.join(missing)}: the short rush cannot run", file=sys.stderr)
        sys.exit(1 if os.environ.get("SEUIL_REQUIRE_ALL") == "1" else 0)
    # A TERM (a timeout, an operator) ends the run as Ctrl-C does: its servers stop with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with folder() as base:
        print(f"rush: {options.seconds:.0f} s, faults: {', '.join(chosen)}; load {load_average()}")
        rush = Rush(options, base)
        try:
            print(f"capacity: the mix, closed loop, {options.capacity_seconds:.0f} s …")
            measured = capacity(rush.state, options.capacity_seconds, 4 * CORES)
            rush.state.hits.clear()
            rate = 0.8 * measured
            print(f"capacity {measured:.1f} journeys/s; the rush at {rate:.1f}/s")
            plan = schedule(chosen, options.seconds)
            rush.state.started = time.monotonic()
            rush.wall_started = time.time()  # the access logs' clock, for seuil's own times
            rush.rush(rate, options.seconds, plan)
            say("rush over; checking")
            report = rush_report.judge(rush, plan, measured, rate)
        finally:
            rush.close()
    report["load average"] = load_average()
    rush_report.show(report)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "rush.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(0 if all(v["ok"] for v in report["verdicts"].values()) else 1)


BEGAN = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - BEGAN:5.0f} s] {text}", flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
