"""The lockout's count in Redis, in one round trip.

Counting an attempt read both counters, judged them and wrote them back under a mutex: about nine
round trips (the mutex, the networks' set, two reads, two writes, the release, the forgetting),
most of a TOTP check's CPU and a good part of a sign-in's around its hash (issues 24 and 25).
Redis runs a script atomically, so the same judgement (throttle._judge's, step for step) is made
here in Lua, in one EVALSHA: no other attempt can read or write the counters in between, which is
what the mutex was for. The time is the caller's (seuil's clock, not Redis'), as before.

The counters keep their layout (a hash of `failures` and `until`, the end as seconds since the
epoch; the networks in a set), so locks armed before an upgrade still hold after it.
"""

from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis
    from redis.commands.core import Script

# KEYS: this network's counter, the whole account's, the account's networks.
# ARGV: the network, now, seconds before idle counters are forgotten, the whole account's
# failures and seconds, the networks needed, then the steps (failures, seconds) in order.
# Returns {locked, failures, armed seconds, end of the lock armed or "", whole}.
COUNT = """
local now = tonumber(ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[3])
local function read(key)
  local values = redis.call('HMGET', key, 'failures', 'until')
  return tonumber(values[1]) or 0, values[2]
end
local local_failures, local_until = read(KEYS[1])
local whole_failures, whole_until = read(KEYS[2])
local function running(ending)
  return ending and (tonumber(ending) or 0) > now
end
if running(local_until) or running(whole_until) then
  return {1, local_failures, 0, '', 0}
end
local_failures = local_failures + 1
whole_failures = whole_failures + 1
local failures, armed, ends, whole = local_failures, 0, '', 0
local last = tonumber(ARGV[#ARGV - 1])
for i = 7, #ARGV - 1, 2 do
  if tonumber(ARGV[i]) == local_failures then
    armed = tonumber(ARGV[i + 1])
    local_until = string.format('%.6f', now + armed)
    ends = local_until
    if local_failures >= last then
      local_failures = 0
    end
  end
end
if whole_failures >= tonumber(ARGV[4]) and redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[6]) then
  failures = math.max(failures, whole_failures)
  whole_until = string.format('%.6f', now + tonumber(ARGV[5]))
  ends = whole_until
  whole_failures, whole = 0, 1
  armed = math.max(armed, tonumber(ARGV[5]))
end
local function write(key, count, ending)
  if ending then
    redis.call('HSET', key, 'failures', count, 'until', ending)
  else
    redis.call('HSET', key, 'failures', count)
  end
  redis.call('EXPIRE', key, ARGV[3])
end
write(KEYS[1], local_failures, local_until)
write(KEYS[2], whole_failures, whole_until)
return {0, failures, armed, ends, whole}
"""


@cache
def _script(client: "redis.Redis") -> "Script":
    return client.register_script(COUNT)


def count(
    client: "redis.Redis", keys: list[str], network: str, now: float, forget_after: int
) -> tuple[bool, int, int, str, bool]:
    """Count one attempt: (locked, failures, armed seconds, the armed lock's end as stored,
    whole account). `keys`: this network's counter, the account's, the account's networks."""
    account_count, account_wait = settings.SEUIL_LOCKOUT_ACCOUNT
    steps = [value for step in settings.SEUIL_LOCKOUT_STEPS for value in step]
    args: list[str | int] = [network, repr(now), forget_after, account_count, account_wait]
    args += [settings.SEUIL_LOCKOUT_NETWORKS, *steps]
    locked, failures, armed, ends, whole = _script(client)(keys=keys, args=args)
    until = ends.decode() if isinstance(ends, bytes) else str(ends)
    return bool(locked), int(failures), int(armed), until, bool(whole)
