"""The limit on public POSTs per client address, over a sliding window.

A fixed window let twice the limit through across a boundary (30 at 11:59:59, 30 at 12:00:00).
The sliding window weighs the previous window's count by the part of it still inside the last
window's length, as Cloudflare and nginx do: an estimate that never lets through more than the
limit in any window's length, with two numbers per address.

Addresses in SEUIL_TRUSTED_NETWORKS (the campus, behind one NAT address in September) get their
own, higher limit, SEUIL_TRUSTED_RATE_LIMIT.
"""

import ipaddress
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from django.utils import timezone

from seuil.security.models import RateWindow

if TYPE_CHECKING:
    import redis


def limit_for(address: str) -> tuple[int, int]:
    """(requests, seconds) for this client address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return settings.SEUIL_RATE_LIMIT
    if any(ip in network for network in settings.SEUIL_TRUSTED_NETWORKS):
        return settings.SEUIL_TRUSTED_RATE_LIMIT
    return settings.SEUIL_RATE_LIMIT


def ip_allowed(address: str) -> bool:
    """Count a POST from this address; False once its limit is exceeded in the sliding window."""
    limit, seconds = limit_for(address)
    now = timezone.now().timestamp()
    window, elapsed = divmod(now, seconds)
    window = int(window)
    if settings.SEUIL_REDIS_URL:
        pipe = _redis().pipeline()
        pipe.incr(f"seuil:rate:{address}:{window}")
        pipe.expire(f"seuil:rate:{address}:{window}", 2 * seconds)
        pipe.get(f"seuil:rate:{address}:{window - 1}")
        hits, _, previous = pipe.execute()
        hits, previous = int(hits), int(previous or 0)
    else:
        hits, previous = _count_in_database(address, window)
    estimate = previous * (1 - elapsed / seconds) + hits
    return estimate <= limit


def _count_in_database(address: str, window: int) -> tuple[int, int]:
    # One statement on every public POST: an upsert that counts in the current window, or moves
    # the current count to `previous` when a new window starts (PostgreSQL, SQLite ≥ 3.35).
    t = connection.ops.quote_name(RateWindow._meta.db_table)
    # Only the model's own table name is interpolated; the key and window are parameters.
    sql = (
        f'INSERT INTO {t} ("key", "window", "hits", "previous") VALUES (%s, %s, 1, 0) '  # noqa: S608 # nosec B608
        f'ON CONFLICT ("key") DO UPDATE SET '
        f'"previous" = CASE WHEN {t}."window" = excluded."window" THEN {t}."previous" '
        f'WHEN {t}."window" = excluded."window" - 1 THEN {t}."hits" ELSE 0 END, '
        f'"hits" = CASE WHEN {t}."window" = excluded."window" THEN {t}."hits" + 1 ELSE 1 END, '
        f'"window" = excluded."window" RETURNING "hits", "previous"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [address, window])
        hits, previous = cursor.fetchone()
    return int(hits), int(previous)


def purge_windows() -> int:
    """Drop the windows of addresses silent for a day."""
    day_ago = timezone.now().timestamp() - 86400
    old = [
        pk
        for pk, window, key in RateWindow.objects.values_list("pk", "window", "key").iterator()
        if (window + 1) * limit_for(key)[1] < day_ago
    ]
    return RateWindow.objects.filter(pk__in=old).delete()[0]


@cache
def _redis() -> "redis.Redis":
    """One client for the rate limit and the lockout (throttle imports it from here)."""
    # Here, not at the top: a worker without SEUIL_REDIS_URL never loads the client (about
    # 6 MiB of worker memory, #16).
    import redis

    return redis.Redis.from_url(settings.SEUIL_REDIS_URL, socket_timeout=2)
