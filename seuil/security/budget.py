"""Budgets: at most `limit` tries per period for a key (the three answers a day of the secret
question), each spent atomically before the try is made, and given back when the try succeeds.

Like the lockout, a budget lives where every worker sees it: a database row under a row lock, or
a Redis hash changed by one script (atomic on the server) when SEUIL_REDIS_URL is set. A period
starts with its first try and its end is kept with the count, so the clock that judges it is
seuil's, not Redis's expiry (which only clears keys long dead).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from seuil.security.models import Lockout
from seuil.security.rate import _redis
from seuil.security.throttle import locked_rows, store, subject

# KEYS[1] the budget; ARGV now, period seconds, limit. 1 if a try was spent, 0 if none was left.
_SPEND = """
local now, seconds, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ends = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local tries = tonumber(redis.call('HGET', KEYS[1], 'tries') or '0')
if ends <= now then tries, ends = 0, now + seconds end
if tries >= limit then return 0 end
redis.call('HSET', KEYS[1], 'tries', tries + 1, 'until', ends)
redis.call('EXPIRE', KEYS[1], math.ceil(ends - now) + 86400)
return 1
"""
_REFUND = """
if tonumber(redis.call('HGET', KEYS[1], 'tries') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'tries', -1)
end
return 0
"""


def _name(key: str) -> str:
    return f"budget:{subject(key)}"


def spend(key: str, *, limit: int, seconds: int) -> bool:
    """Spend one try of a budget of `limit` per `seconds` for `key`, atomically, before the try is
    made; False when the budget was already spent (then nothing is counted)."""
    name, now = _name(key), timezone.now()
    if settings.SEUIL_REDIS_URL:
        spent_one = _redis().eval(_SPEND, 1, f"seuil:{name}", now.timestamp(), seconds, limit)
        return bool(spent_one)
    with transaction.atomic():
        row = locked_rows([name], now)[name]  # tries in `failures`, the period's end in `until`
        if row.until is None or row.until <= now:  # a new period starts
            row.failures, row.until = 0, now + timedelta(seconds=seconds)
        if row.failures >= limit:
            return False
        row.failures += 1
        store({name: row}, now)
    return True


def refund(key: str) -> None:
    """Give back the try just spent: it succeeded."""
    if settings.SEUIL_REDIS_URL:
        _redis().eval(_REFUND, 1, f"seuil:{_name(key)}")
        return
    Lockout.objects.filter(key=_name(key), failures__gt=0).update(failures=F("failures") - 1)


def spent(key: str, *, limit: int) -> bool:
    """Whether this period's tries are all spent."""
    now = timezone.now()
    if settings.SEUIL_REDIS_URL:
        state = _redis().hgetall(f"seuil:{_name(key)}")
        ends, tries = float(state.get(b"until", 0)), int(state.get(b"tries", 0))
        return ends > now.timestamp() and tries >= limit
    row = Lockout.objects.filter(key=_name(key)).first()
    return bool(row and row.locked_until and row.locked_until > now and row.failures >= limit)
