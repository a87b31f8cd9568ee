"""Guessing and flooding: a progressive lockout per account and client network, a much higher
lock of the whole account, and a sliding-window limit per client address (see rate.py).

- **Counted before checked.** An attempt is counted as a failure, atomically, before its secret is
  checked, and judged against the count that includes every attempt already in flight: a burst
  cannot outrun the lock. A success then forgets the count.
- **Per account and network first.** Failures lock the account only for the client's network (an
  IPv4 /24, an IPv6 /64), by SEUIL_LOCKOUT_STEPS. The whole account locks only after
  SEUIL_LOCKOUT_ACCOUNT failures from at least SEUIL_LOCKOUT_NETWORKS networks, so that one
  stranger cannot lock the owner out (django-axes' and Keycloak's answer to lockout as a denial
  of service).
- **Capped.** Failures during a lock are not counted, so a lock is never re-armed while it runs,
  and after the longest step the count starts over.
- **No typed text kept.** Counters are keyed by a keyed hash (HMAC under the secret key) of what
  was typed, never by the text, which may be a mistyped password or Sésame.

The counters live where every worker sees them: the database, or Redis when SEUIL_REDIS_URL is
set. A lockout never blocks the e-mailed reset link.
"""

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from seuil.audit.models import Action, AuditEvent, Outcome
from seuil.core import keys
from seuil.security import redis_count
from seuil.security.models import Lockout
from seuil.security.rate import _redis as _redis
from seuil.security.rate import ip_allowed, purge_windows

__all__ = [
    "attempt", "ip_allowed", "is_locked", "lift", "lock_end", "locked_until", "reset", "subject",
]  # fmt: skip

T = TypeVar("T")
FORGET_AFTER = timedelta(days=30)  # an idle counter is forgotten; a lock never lasts this long
IPV4_PREFIX, IPV6_PREFIX = 24, 64  # one client network: a campus NAT, a home, a mobile carrier


@dataclass(frozen=True)
class Lock:
    """A lock a failure has just armed: what the owner's notice says and what its link lifts."""

    key: str  # the identifier, normalised
    network: str  # the client network it holds for; "" when it holds for the whole account
    until: datetime  # its end, exactly as stored
    failures: int  # the failures that armed it


LockListener = Callable[[Lock], None]
_listeners: list[LockListener] = []


def on_lock(listener: LockListener) -> None:
    """Call listener(lock) after a failure arms a lock (the owner's notice)."""
    if listener not in _listeners:
        _listeners.append(listener)


@dataclass
class Verdict:
    """What counting one attempt decided."""

    locked: bool  # the attempt met a running lock
    failures: int  # the failures counted (those that armed a lock, before a capped restart)
    armed: int = 0  # seconds of the lock this attempt armed for the attempts after it
    until: datetime | None = None  # that lock's end, as stored
    whole: bool = False  # the lock holds for the whole account, not one network


@dataclass
class Counter:
    failures: int = 0
    until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.until is not None and self.until > now


def subject(key: str, secret: str | None = None) -> str:
    """The keyed hash that stands for an identifier in counters and, unless it is a known login,
    in the audit log (under the current key unless `secret` is given)."""
    return keys.digest("seuil.security.subject", normalise(key), secret)[:32]


def subjects(key: str) -> list[str]:
    """The identifier's subject under the current key, then under each fallback: a lock armed
    before a rotation of the key still holds, and an unlock or a reset still lifts it."""
    return [subject(key, secret) for secret in keys.secrets()]


def normalise(key: str) -> str:
    return key.strip().lower()[:150]


def network_of(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "-"
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@sensitive_variables()
def attempt(key: str, check: Callable[[], T | None], *, action: str, ip: str) -> T | None:
    """Run the check of a secret for `key` under the lockout.

    The check always runs, so that a locked account costs the same work as an open one, and a
    locked account gets exactly the answer of a wrong secret.
    """
    subj = subject(key)
    network = network_of(ip)
    verdict = _held_before_rotation(key, network) or _count(subj, network)
    result = check()
    if result is not None and not verdict.locked:
        _forget(subj, network)
        return result
    actor = actor_for(key, subj)
    AuditEvent.record(
        action,
        outcome=Outcome.FAILURE,
        actor=actor,
        ip=ip,
        failures=verdict.failures,
        locked=verdict.locked,
    )
    if verdict.armed and verdict.until:
        AuditEvent.record(
            Action.LOCKOUT, outcome=Outcome.LOCKED, actor=actor, ip=ip, seconds=verdict.armed
        )
        lock = Lock(
            normalise(key), "" if verdict.whole else network, verdict.until, verdict.failures
        )
        for listener in _listeners:
            listener(lock)
    return None


def actor_for(key: str, subj: str | None = None) -> str:
    """A known login as it is; anything else typed (it may be a secret) as its keyed hash."""
    login = normalise(key)
    if get_user_model().objects.filter(login=login).exists():
        return login[:64]
    return hashed_actor(key, subj)


def hashed_actor(key: str, subj: str | None = None) -> str:
    """What the audit log says for an identifier that names no account."""
    return "#" + (subj or subject(key))[:16]


def _judge(local: Counter, whole: Counter, networks: Callable[[], int], now: datetime) -> Verdict:
    """Count one attempt in advance: does it meet a lock, and does it arm one for the attempts
    after it? The networks are counted only when the whole account's failures reach its
    threshold: a query that nearly every attempt did for nothing."""
    if local.locked(now) or whole.locked(now):
        return Verdict(True, local.failures)  # not counted: a lock is never re-armed while it runs
    local.failures += 1
    whole.failures += 1
    verdict = Verdict(False, local.failures)
    steps = settings.SEUIL_LOCKOUT_STEPS
    wait = dict(steps).get(local.failures, 0)
    if wait:
        local.until = verdict.until = now + timedelta(seconds=wait)
        verdict.armed = wait
        if local.failures >= steps[-1][0]:
            local.failures = 0  # after the longest lock, the count starts over
    count, account_wait = settings.SEUIL_LOCKOUT_ACCOUNT
    if whole.failures >= count and networks() >= settings.SEUIL_LOCKOUT_NETWORKS:
        verdict.failures = max(verdict.failures, whole.failures)
        whole.until = verdict.until = now + timedelta(seconds=account_wait)
        whole.failures, verdict.whole = 0, True
        verdict.armed = max(verdict.armed, account_wait)
    return verdict


def _count(subj: str, network: str) -> Verdict:
    """Count the attempt before its check, atomically."""
    now = timezone.now()
    if settings.SEUIL_REDIS_URL:
        # One script, run atomically by Redis: the judgement of _judge, without a mutex.
        names = [_lock_key(subj, network), _lock_key(subj), _nets(subj)]
        forget = int(FORGET_AFTER.total_seconds())
        locked, failures, armed, ends, everywhere = redis_count.count(
            _redis(), names, network, now.timestamp(), forget
        )
        until = datetime.fromtimestamp(float(ends), tz=UTC) if ends else None
        return Verdict(locked, failures, armed, until, everywhere)
    with transaction.atomic():
        found = locked_rows([f"{subj}@{network}", subj], now)
        local, whole = found[f"{subj}@{network}"], found[subj]  # this network's, the account's
        networks = Lockout.objects.filter(key__startswith=f"{subj}@").count
        verdict = _judge(local, whole, networks, now)
        if not verdict.locked:
            store(found, now)
    return verdict


def locked_rows(keys: list[str], now: datetime) -> dict[str, Counter]:
    """The counters of these keys, their rows created if need be and locked until the transaction
    ends, one after the other in key order, as a success's DELETE locks them: two transactions
    never wait for each other's rows in opposite orders. (Inserting and locking them all in two
    statements deadlocked 50 concurrent activations on PostgreSQL.) One upsert of the rows, in
    key order: PostgreSQL inserts or locks the rows of a VALUES list one after the other, in its
    order, and guarantees each to end in an insert or an update even when a success deletes the
    row meanwhile (a get_or_create there was a 500); it returns the rows' counts. (One upsert
    per row was one round trip more on every attempt.)"""
    t = connection.ops.quote_name(Lockout._meta.db_table)
    rows = ", ".join(["(%s, 0, NULL, %s)"] * len(keys))
    # Only the model's own table name is interpolated; the keys and time are parameters.
    sql = (
        f'INSERT INTO {t} ("key", "failures", "locked_until", "last_failure_at") '  # noqa: S608 # nosec B608
        f'VALUES {rows} ON CONFLICT ("key") DO UPDATE SET "failures" = {t}."failures" '
        f'RETURNING "key", "failures", "locked_until"'
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for key in sorted(keys) for value in (key, stamp)])
        found = cursor.fetchall()
    return {key: Counter(int(failures), _aware(until)) for key, failures, until in found}


def store(counters: dict[str, Counter], now: datetime) -> None:
    """Write the counts back, in one statement: their rows are locked already."""
    t = connection.ops.quote_name(Lockout._meta.db_table)
    cases = " ".join("WHEN %s THEN %s" for _ in counters)
    sql = (
        f'UPDATE {t} SET "failures" = CASE "key" {cases} ELSE "failures" END, '  # noqa: S608 # nosec B608
        # The ELSE gives PostgreSQL the column's type when every new end is NULL.
        f'"locked_until" = CASE "key" {cases} ELSE "locked_until" END, "last_failure_at" = %s '
        f'WHERE "key" IN ({", ".join("%s" for _ in counters)})'
    )
    adapt = connection.ops.adapt_datetimefield_value
    failures = [value for key, c in counters.items() for value in (key, c.failures)]
    until = [value for key, c in counters.items() for value in (key, adapt(c.until))]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*failures, *until, adapt(now), *counters])


def _aware(value: datetime | str | None) -> datetime | None:
    """A timestamp as the database returned it (SQLite: text in UTC), as an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def _forget(subj: str, network: str) -> None:
    """A success: forget the failures of this network and of the whole account."""
    if settings.SEUIL_REDIS_URL:
        _redis().delete(_lock_key(subj, network), _lock_key(subj))
    else:
        # On PostgreSQL one row per statement, outside any transaction: a DELETE of both rows
        # locked them in its scan's order, and with a count holding one and waiting for the
        # other, 50 concurrent activations deadlocked. SQLite locks the whole database for a
        # write: both in one statement.
        t = connection.ops.quote_name(Lockout._meta.db_table)
        names = sorted([f"{subj}@{network}", subj])
        batches = [names] if connection.vendor == "sqlite" else [[name] for name in names]
        with connection.cursor() as cursor:
            for batch in batches:
                marks = ", ".join(["%s"] * len(batch))
                cursor.execute(f'DELETE FROM {t} WHERE "key" IN ({marks})', batch)  # noqa: S608 # nosec B608


def _held_before_rotation(key: str, network: str) -> Verdict | None:
    """A lock still running under a fallback key (none without SEUIL_SECRET_KEY_FALLBACKS)."""
    for secret in keys.secrets()[1:]:  # the current key's subject is not computed twice
        old = subject(key, secret)
        if _until(old, network) or _until(old, ""):
            return Verdict(True, 0)
    return None


def is_locked(key: str) -> bool:
    return locked_until(key) is not None


def locked_until(key: str) -> datetime | None:
    """The end of the latest lock on this account, from any network (None: it is open)."""
    now, ends = timezone.now(), []
    for subj in subjects(key):
        if settings.SEUIL_REDIS_URL:
            names = [_lock_key(subj)] + [_lock_key(subj, n) for n in _networks(subj)]
            ends += [_redis_get(name).until for name in names]
        else:
            ends += Lockout.objects.filter(key__startswith=subj).values_list(
                "locked_until", flat=True
            )
    live = [end for end in ends if end and end > now]
    return max(live) if live else None


def reset(key: str) -> None:
    """Forget every failure of the account, from every network: a reset, or an operator's
    unlock."""
    for subj in subjects(key):
        if settings.SEUIL_REDIS_URL:
            r = _redis()
            names = [_lock_key(subj, n) for n in _networks(subj)]
            r.delete(_lock_key(subj), _nets(subj), *names)
        else:
            with transaction.atomic():  # rows locked in key order, as counts lock them
                rows = Lockout.objects.select_for_update().filter(key__startswith=subj)
                names = list(rows.order_by("key").values_list("key", flat=True))
                Lockout.objects.filter(key__in=names).delete()


def lock_end(key: str, network: str) -> datetime | None:
    """The end of the running lock on this account for this network ("": the whole account's)."""
    ends = [end for subj in subjects(key) if (end := _until(subj, network))]
    return max(ends) if ends else None


def _until(subj: str, network: str) -> datetime | None:
    """The end of the running lock of this subject on this network ("": the whole account's)."""
    name = f"{subj}@{network}" if network else subj
    if settings.SEUIL_REDIS_URL:
        until = _redis_get(_lock_key(subj, network)).until
    else:
        until = Lockout.objects.filter(key=name).values_list("locked_until", flat=True).first()
    return until if until and until > timezone.now() else None


def lift(key: str, network: str) -> None:
    """End the lock on this network and the whole account's, now, but keep their counts: the
    owner's unlock is no fresh start for whoever failed, whose next failures arm the next step.
    The owner's own success then forgets the counts."""
    for subj in subjects(key):
        if settings.SEUIL_REDIS_URL:
            pipe = _redis().pipeline()
            for name in {_lock_key(subj, network), _lock_key(subj)}:
                pipe.hdel(name, "until")
            pipe.execute()
        else:
            for row in sorted({f"{subj}@{network}" if network else subj, subj}):
                Lockout.objects.filter(key=row).update(locked_until=None)  # one row at a time


def lift_every(key: str) -> None:
    """End every running lock of the account, from every network and the whole account's, but
    keep the counts (as `lift` does for one network): HR's new Sésame, handed over in person,
    is the way out of an activation lock, and no fresh start for whoever failed."""
    for subj in subjects(key):
        if settings.SEUIL_REDIS_URL:
            names = [_lock_key(subj)] + [_lock_key(subj, n) for n in _networks(subj)]
            pipe = _redis().pipeline()
            for name in names:
                pipe.hdel(name, "until")
            pipe.execute()
        else:
            rows = Lockout.objects.filter(key__startswith=subj, locked_until__isnull=False)
            for row in sorted(rows.values_list("key", flat=True)):
                Lockout.objects.filter(key=row).update(locked_until=None)  # one row at a time


def wait_after(failures: int) -> int:
    """Seconds locked after this many consecutive failures from one network (0: not locked)."""
    return max(
        (seconds for count, seconds in settings.SEUIL_LOCKOUT_STEPS if failures >= count), default=0
    )


def purge_stale() -> int:
    """Drop counters nobody needs any more (the database only: Redis keys expire by themselves)."""
    old = Lockout.objects.filter(last_failure_at__lt=timezone.now() - FORGET_AFTER).delete()[0]
    return old + purge_windows()


def _lock_key(subj: str, network: str = "") -> str:
    return f"seuil:lockout:{subj}@{network}" if network else f"seuil:lockout:{subj}"


def _networks(subj: str) -> list[str]:
    members: set[bytes] = _redis().smembers(_nets(subj))  # type: ignore[assignment]
    return [member.decode() for member in members]


def _nets(subj: str) -> str:
    return f"seuil:lockout-nets:{subj}"


def _redis_get(name: str) -> Counter:
    state = _redis().hgetall(name)
    raw = state.get(b"until")
    until = datetime.fromtimestamp(float(raw), tz=UTC) if raw else None
    return Counter(int(state.get(b"failures", 0)), until)
