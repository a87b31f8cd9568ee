"""The servers bench/rush.py runs and breaks: its own PostgreSQL and Redis, slapd, an SMTP server
that records what it receives, two gunicorn hosts and the one address in front of them.

Each is the benchmark's own, in a temporary folder, on its own port: stopping or killing one
touches nothing else on the machine.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
# Debian's PostgreSQL, newest version first; else whatever initdb is on the PATH.
PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(probe: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if probe():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Postgres:
    """initdb in a temporary folder; `crash()` is `pg_ctl stop -m immediate`."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder / "pg", free_port()
        self.folder.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.folder.chmod(0o700)
        bin_dir = PG_BINS[-1] if PG_BINS else Path(shutil.which("initdb") or "initdb").parent
        self.pg_ctl = str(bin_dir / "pg_ctl")
        subprocess.run(
            _as_postgres([str(bin_dir / "initdb"), "-D", str(self.folder / "data"),
                          "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]),
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/seuil"

    def start(self) -> None:
        # fsync off: the machine does not crash, PostgreSQL does. synchronous_commit stays on, so
        # a crash loses no commit that was acknowledged.
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres([self.pg_ctl, "-D", str(self.folder / "data"), "-o", options,
                          "-l", str(self.folder / "log"), "-w", "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def create(self) -> None:
        import psycopg

        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE seuil")

    def crash(self) -> None:
        subprocess.run(
            _as_postgres([self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop"]),
            check=False, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    stop = crash


class Redis:
    """redis-server without persistence: killed with SIGKILL, it comes back empty."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(redis.Redis(port=self.port).ping, "redis-server")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    stop = kill


class Directory:
    """seuil's slapd sandbox; stopped and started again on the same data."""

    def __init__(self, folder: Path) -> None:
        sys.path.insert(0, str(ROOT))
        from seuil.directory import sandbox

        self.sandbox = sandbox.start(folder / "slapd")

    def settings(self) -> dict[str, str]:
        return self.sandbox.settings()

    def stop(self) -> None:
        process = self.sandbox.process
        if process and process.poll() is None:
            process.terminate()
            process.wait()

    def start(self) -> None:
        self.sandbox.start()

    def binds(self, login: str, password: str) -> bool:
        import ldap

        conn = ldap.initialize(self.sandbox.url)
        try:
            conn.simple_bind_s(f"uid={login},{self.sandbox.people_dn}", password)
            return True
        except ldap.INVALID_CREDENTIALS:
            return False
        finally:
            conn.unbind_s()


class Mailbox:
    """An SMTP server that records every message it accepts, and can refuse them all (451, a
    temporary failure: the sender keeps the message and tries again): bench/rush_smtp.py."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder / "smtp", free_port()
        self.folder.mkdir()
        # Each file parsed once, with its To: as text; the names kept sorted. The journeys poll
        # the mailbox five times a second while they wait: parsing every message's headers at
        # each poll cost the load generator a whole core by the rush's 4,000th mail, and its
        # threads' waits for the GIL read as seuil's latency.
        self.read: dict[str, tuple[str, EmailMessage]] = {}
        self.names: list[str] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "rush_smtp.py"), str(self.port), str(self.folder)]
        )
        _wait(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=1), "SMTP")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()

    @property
    def refusing(self) -> bool:
        return (self.folder / "refusing").exists()

    @refusing.setter
    def refusing(self, refuse: bool) -> None:
        flag = self.folder / "refusing"
        if refuse:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far, in order."""
        return [message for _, message in self._received()]

    def to(self, address: str) -> list[EmailMessage]:
        return [message for to, message in self._received() if address in to]

    def _received(self) -> list[tuple[str, EmailMessage]]:
        with self.lock:
            new = [n for n in os.listdir(self.folder / "mail") if n.endswith(".eml")
                   and n[0].isdigit() and n not in self.read]  # fmt: skip
            for name in new:
                content = (self.folder / "mail" / name).read_bytes()
                message = message_from_bytes(content, _class=EmailMessage, policy=default)
                self.read[name] = (str(message["To"]), message)
            if new:
                self.names = sorted(self.read)
            return [self.read[name] for name in self.names]


class Host:
    """One seuil host: gunicorn, one worker per core."""

    def __init__(self, name: str, env: dict[str, str], folder: Path, workers: int) -> None:
        self.name, self.env, self.workers = name, env, workers
        self.port = free_port()
        self.log = folder / f"{name}.log"
        # Each request's time inside gunicorn, as seuil measured it: beside the clients' own
        # figure, it tells seuil's latency from the load generator's.
        self.access = folder / f"{name}-access.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "seuil.wsgi:application",
                 "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                 "--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning",
                 "--access-logfile", str(self.access), "--access-logformat", "%(t)s %(M)s %(s)s"],
                env=self.env, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        base = f"http://127.0.0.1:{self.port}"
        _wait(lambda: httpx.get(base + "/", timeout=2).status_code == 200, f"host {self.name}")

    def worker_pids(self) -> list[int]:
        assert self.process
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.process.pid:
                        found.append(int(entry.name))
        return found

    def kill_worker(self) -> int:
        """SIGKILL one worker, whatever it is doing; gunicorn's master starts another."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """The host is gone: its master and workers killed, the requests they held lost."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait()


class Proxy:
    """One address in front of the hosts (bench/rush_proxy.py, in a process of its own)."""

    def __init__(self, hosts: list[Host]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "rush_proxy.py"), str(self.port),
             *(str(host.port) for host in hosts)],
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{self.port}"
        _wait(lambda: httpx.get(self.base + "/", timeout=2).status_code == 200, "the proxy")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


@contextlib.contextmanager
def folder() -> Any:
    path = Path(tempfile.mkdtemp(prefix="seuil-rush-"))
    path.chmod(0o755)  # the postgres user reaches its own folder inside
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# Who burns the two cores: every process of the machine by its part in the rush, from /proc.
ROLES = (
    ("seuil", "gunicorn seuil.wsgi"),
    ("proxy", "rush_proxy.py"),
    ("postgres", "postgres"),
    ("redis", "redis-server"),
    ("slapd", "slapd"),
    ("cron", "-m seuil "),
)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """{pid: (role, CPU seconds so far)} for the processes of the rush; the load generator is
    this process ("clients": its journeys' threads, the mailbox's parsing)."""
    found: dict[int, tuple[str, float]] = {}
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            pid = int(entry.name)
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            role = "clients" if pid == me else next((r for r, m in ROLES if m in command), "")
            if role:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                found[pid] = (role, (int(fields[11]) + int(fields[12])) / TICKS)
    return found


def cores_between(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], seconds: float
) -> dict[str, float]:
    """Cores each role used between two samples (a process that ended between them is left out:
    a killed worker's last second)."""
    used: dict[str, float] = {}
    for pid, (role, total) in after.items():
        start = before[pid][1] if pid in before else 0.0  # started within the window
        used[role] = used.get(role, 0.0) + max(0.0, total - start)
    return {role: round(value / seconds, 2) for role, value in sorted(used.items())}


ACCESS = re.compile(r"\[(\d+/\w+/\d+:\d+:\d+:\d+ [+-]\d+)\] (\d+) (\d+)")


def server_times(log: Path) -> list[tuple[float, int]]:
    """(wall-clock second the request ended, its milliseconds inside gunicorn) per request."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if match := ACCESS.match(line):
            stamp = datetime.strptime(match.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp()
            found.append((stamp + 0.5, int(match.group(2))))  # the log gives whole seconds
    return found
