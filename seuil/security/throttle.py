"""Guessing and flooding: a progressive lockout per account, and a limit per client address.

The counters live where every worker sees them: the database, or Redis when SEUIL_REDIS_URL is
set. A lockout is never permanent (the longest step is SEUIL_LOCKOUT_STEPS' last), and it never
blocks the e-mailed reset link, so that nobody can lock an owner out of their own account.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TypeVar

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from seuil.audit.models import AuditEvent, Outcome
from seuil.security.models import Lockout, RateWindow

T = TypeVar("T")
FORGET_AFTER = timedelta(days=30)  # an idle counter is forgotten; a lock never lasts this long


@sensitive_variables()
def attempt(key: str, check: Callable[[], T | None], *, action: str, ip: str) -> T | None:
    """Run the check of a secret for `key` under the lockout.

    The check always runs, so that a locked account costs the same work as an open one, and a
    locked account gets exactly the answer of a wrong secret. A failure counts; a success resets.
    """
    key = key.strip().lower()[:150]
    failed_before, until = _lock_state(key)
    locked = until is not None
    result = check()
    if result is not None and not locked:
        if failed_before:  # most successes have no failure to forget: spare them a write
            reset(key)
        return result
    if result is None:
        failures, wait = _count_failure(key)
        AuditEvent.record(action, outcome=Outcome.FAILURE, actor=key[:64], ip=ip, failures=failures)
        if wait:
            AuditEvent.record(
                "lockout", outcome=Outcome.LOCKED, actor=key[:64], ip=ip, seconds=wait
            )
    return None


def wait_after(failures: int) -> int:
    """Seconds locked after this many consecutive failures (0: not locked)."""
    return max(
        (seconds for count, seconds in settings.SEUIL_LOCKOUT_STEPS if failures >= count), default=0
    )


def is_locked(key: str) -> bool:
    return locked_until(key) is not None


def locked_until(key: str) -> datetime | None:
    return _lock_state(key)[1]


def _lock_state(key: str) -> tuple[bool, datetime | None]:
    """Whether the key has failures on record, and until when it is locked (None: it is not)."""
    if settings.SEUIL_REDIS_URL:
        state = _redis().hgetall(_lock_key(key))
        raw = state.get(b"until")
        until = datetime.fromtimestamp(float(raw), tz=UTC) if raw else None
        exists = bool(state)
    else:
        row = Lockout.objects.filter(key=key).values_list("locked_until", flat=True)
        found = list(row[:1])
        exists, until = bool(found), found[0] if found else None
    return exists, (until if until and until > timezone.now() else None)


def reset(key: str) -> None:
    """Forget the failures: after a success, or when HR unlocks the account."""
    if settings.SEUIL_REDIS_URL:
        _redis().delete(_lock_key(key))
    else:
        Lockout.objects.filter(key=key).delete()


def _count_failure(key: str) -> tuple[int, int]:
    now = timezone.now()
    if settings.SEUIL_REDIS_URL:
        pipe = _redis().pipeline()
        pipe.hincrby(_lock_key(key), "failures", 1)
        pipe.expire(_lock_key(key), FORGET_AFTER)
        failures = int(pipe.execute()[0])
        if wait := wait_after(failures):
            _redis().hset(_lock_key(key), "until", (now + timedelta(seconds=wait)).timestamp())
        return failures, wait
    with transaction.atomic():
        row, _ = Lockout.objects.select_for_update().get_or_create(key=key)
        row.failures += 1
        row.last_failure_at = now
        wait = wait_after(row.failures)
        if wait:
            row.locked_until = now + timedelta(seconds=wait)
        row.save()
    return row.failures, wait


def ip_allowed(address: str) -> bool:
    """Count a POST from this address; False once SEUIL_RATE_LIMIT is exceeded in the window."""
    limit, seconds = settings.SEUIL_RATE_LIMIT
    window = int(timezone.now().timestamp()) // seconds
    if settings.SEUIL_REDIS_URL:
        name = f"seuil:rate:{address}:{window}"
        pipe = _redis().pipeline()
        pipe.incr(name)
        pipe.expire(name, seconds)
        return int(pipe.execute()[0]) <= limit
    # One statement, run on every public POST: an upsert that starts a new window or counts in
    # the current one (PostgreSQL, and SQLite since 3.35).
    t = connection.ops.quote_name(RateWindow._meta.db_table)
    # Only the model's own table name is interpolated; the key and window are parameters.
    sql = (
        f'INSERT INTO {t} ("key", "window", "hits") VALUES (%s, %s, 1) '  # noqa: S608 # nosec B608
        f'ON CONFLICT ("key") DO UPDATE SET "hits" = CASE WHEN {t}."window" = excluded."window" '
        f'THEN {t}."hits" + 1 ELSE 1 END, "window" = excluded."window" RETURNING "hits"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [address, window])
        hits = cursor.fetchone()[0]
    return int(hits) <= limit


def purge_stale() -> int:
    """Drop counters nobody needs any more (the database only: Redis keys expire by themselves)."""
    now = timezone.now()
    old = Lockout.objects.filter(last_failure_at__lt=now - FORGET_AFTER).delete()[0]
    window = int((now - timedelta(days=1)).timestamp()) // settings.SEUIL_RATE_LIMIT[1]
    return old + RateWindow.objects.filter(window__lt=window).delete()[0]


def _lock_key(key: str) -> str:
    return f"seuil:lockout:{key}"


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.SEUIL_REDIS_URL, socket_timeout=2)
