"""Server CPU per second-factor check: one TOTP code, one passkey assertion, as seuil checks
them at sign-in (seuil.mfa.services.check_totp, seuil.mfa.passkeys.check_assertion): the lockout
counted before the check, the key decrypted, the code or the signature verified, the step or the
counter moved on in the database, the lockout forgotten.

    .venv/bin/python bench/mfa.py [--postgres URL] [--rounds 7] [--checks 300]

The checks run in this process, so the CPU is this thread's (time.thread_time, which reads the
kernel's accounting), plus, on PostgreSQL, the backend's, read from /proc/<pid>/stat over each
round less what the untimed preparations cost it: the client and server of one connection. No
HTTP harness is counted: what is measured is what a check adds to a sign-in's request. The
passkey's assertions are made by a software authenticator (P-256, user verified) before each
timed check, and not counted. With --redis, the lockout's counters live in Redis (as with
SEUIL_REDIS_URL in production), and redis-server's CPU is counted the same way.

Rounds alternate TOTP and passkey; each figure is the median of the rounds' per-check means.
Goals (issue 24): at most 2 ms per TOTP check and 5 ms per passkey assertion.
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from throwaway import SIGNING_KEY, fresh_database

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
ORIGIN = "https://monupv.univ-montp3.fr"
GOALS_MS = {"totp": 2.0, "passkey": 5.0}
SPLIT: list[tuple[float, float]] = []  # (this thread's, the backend's) ms per check, per round


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def backend_cpu(pids: list[int] | None) -> float:
    """Seconds of CPU of the servers on this machine (a PostgreSQL backend, redis-server)."""
    total = 0.0
    for pid in pids or []:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


class Authenticator:
    """A passkey in software: what a phone's platform authenticator signs, user verified."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.counter = 0

    def cose_public_key(self) -> bytes:
        import cbor2

        numbers = self.key.public_key().public_numbers()
        return bytes(
            cbor2.dumps(
                {
                    1: 2,
                    3: -7,
                    -1: 1,
                    -2: numbers.x.to_bytes(32, "big"),
                    -3: numbers.y.to_bytes(32, "big"),
                }
            )
        )

    def assertion(self, challenge: bytes, rp_id: str) -> dict[str, Any]:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        self.counter += 1
        client_data = json.dumps(
            {
                "type": "webauthn.get",
                "challenge": b64url(challenge),
                "origin": ORIGIN,
                "crossOrigin": False,
            }
        ).encode()
        flags = 0x01 | 0x04  # user present, user verified
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags])
        data += self.counter.to_bytes(4, "big")
        signature = self.key.sign(
            data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(data),
                "signature": b64url(signature),
                "userHandle": None,
            },
            "clientExtensionResults": {},
        }


def measure(
    check: Callable[[], bool], prepare: Callable[[], None], count: int, pid: list[int] | None
) -> float:
    """Milliseconds of CPU per check, over `count` checks, each prepared untimed: this thread's
    CPU around each check, plus the backend's over the whole loop less what the preparations
    alone cost it (measured in a loop of their own: /proc counts in ticks, too coarse for one
    check, and reading it inside the timed part would bill the reading)."""
    spent = 0.0
    backend = backend_cpu(pid)
    for _ in range(count):
        prepare()
        thread = time.thread_time()
        ok = check()
        spent += time.thread_time() - thread
        if not ok:
            raise SystemExit("a check that should pass was refused: the figures would be wrong")
    backend = backend_cpu(pid) - backend
    if pid is not None:
        alone = backend_cpu(pid)
        for _ in range(count):
            prepare()
        backend -= backend_cpu(pid) - alone
    SPLIT.append((spent / count * 1000, max(backend, 0.0) / count * 1000))
    return (spent + max(backend, 0.0)) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a throw-away database)")
    parser.add_argument("--redis", help="a Redis URL for the lockout (a database it may flush)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--checks", type=int, default=300)
    args = parser.parse_args()
    with fresh_database(args.postgres) as url:
        os.environ.update(
            DATABASE_URL=url, SEUIL_ENV_FILE="", SEUIL_OIDC_KEY_FILE=SIGNING_KEY,
            SEUIL_SECRET_KEY="bench-only-secret-key-" + "x" * 40, SEUIL_BASE_URL=ORIGIN,
            DJANGO_SETTINGS_MODULE="seuil.settings",
        )  # fmt: skip
        if args.redis:
            os.environ["SEUIL_REDIS_URL"] = args.redis
        sys.path.insert(0, str(ROOT))
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    import pyotp
    from django.core.management import call_command
    from django.db import connection
    from throwaway import people_with_sesames

    from seuil.mfa import passkeys, services
    from seuil.mfa.models import Passkey, TotpDevice

    call_command("migrate", verbosity=0)
    login, _ = people_with_sesames(1)[0]
    from seuil.accounts.models import Account

    account = Account.objects.get(login=login)
    device = TotpDevice.begin(account)
    totp = pyotp.TOTP(device.key)
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=django.utils.timezone.now())
    software = Authenticator()
    Passkey.objects.create(
        account=account, name="Téléphone", credential_id=software.credential_id,
        public_key=software.cose_public_key(),
    )  # fmt: skip
    pid: list[int] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid.append(int(cursor.fetchone()[0]))
    if args.redis:
        from seuil.security.rate import _redis

        _redis().flushdb()
        pid.append(int(_redis().info("server")["process_id"]))

    def totp_prepare() -> None:
        TotpDevice.objects.filter(pk=device.pk).update(last_step=0)  # the same code, again

    def totp_check() -> bool:
        return services.check_totp(account=account, code=totp.now(), ip="192.0.2.1")

    pending: dict[str, Any] = {}

    def passkey_prepare() -> None:
        challenge = secrets.token_bytes(32)
        pending.update(
            challenge=challenge, credential=software.assertion(challenge, passkeys.rp_id())
        )

    def passkey_check() -> bool:
        found = passkeys.check_assertion(
            account=account, credential=pending["credential"], challenge=pending["challenge"],
            ip="192.0.2.1",
        )  # fmt: skip
        return found is not None

    measure(totp_check, totp_prepare, 20, pid)  # warm: imports, caches, the connection
    measure(passkey_check, passkey_prepare, 20, pid)
    figures: dict[str, list[float]] = {"totp": [], "passkey": []}
    backends: dict[str, list[float]] = {"totp": [], "passkey": []}
    for _ in range(args.rounds):
        for name, check, prepare in [
            ("totp", totp_check, totp_prepare),
            ("passkey", passkey_check, passkey_prepare),
        ]:
            figures[name].append(measure(check, prepare, args.checks, pid))
            backends[name].append(SPLIT[-1][1])
    load = os.getloadavg()
    database = connection.vendor + (", lockout in Redis" if args.redis else "")
    database += " (servers' CPU counted)" if pid else ""
    print(f"seuil second factor, {database}, {args.rounds} rounds × {args.checks} checks")
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for name, values in figures.items():
        median = statistics.median(values)
        goal = GOALS_MS[name]
        print(
            f"{name:8} {median:6.3f} ms CPU per check "
            f"(rounds {min(values):.3f}–{max(values):.3f}), "
            f"goal {goal} ms: {median / goal:.0%} of it"
            + (f"; the servers' part {statistics.median(backends[name]):.3f} ms" if pid else "")
        )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "mfa.json").write_text(json.dumps({"load": load, "database": database, **figures}))


if __name__ == "__main__":
    main()
