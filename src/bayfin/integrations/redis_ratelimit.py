"""The rate limiter on Redis, so every API worker shares one count per caller."""

from __future__ import annotations

from typing import Any

from bayfin.kernel.ratelimit import Limit, Verdict

# GCRA and the daily quota in one atomic step, timed by the Redis server's clock so that workers
# with skewed clocks still agree.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = 1.0 / tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local per_day = tonumber(ARGV[3])
if per_day >= 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= per_day then
    local secs = 86400 - (now % 86400)
    return {0, 'daily_quota', tostring(secs)}
  end
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {0, 'rate', tostring(allow_at - now)}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
if per_day >= 0 then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], 172800)
end
return {1, '', '0'}
"""


class RedisRateLimiter:
    """GCRA plus daily quota in a Lua script on a shared Redis."""

    def __init__(self, client: Any, prefix: str = "bayfin:rl:") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_SCRIPT)

    def hit(self, key: str, limit: Limit) -> Verdict:
        """Count one hit for ``key``."""
        import time

        day = time.strftime("%Y%m%d", time.gmtime())
        allowed, reason, retry = self._script(
            keys=[f"{self._prefix}tat:{key}", f"{self._prefix}day:{key}:{day}"],
            args=[limit.per_second, limit.burst, -1 if limit.per_day is None else limit.per_day])
        reason = reason.decode() if isinstance(reason, bytes) else reason
        retry = float(retry.decode() if isinstance(retry, bytes) else retry)
        return Verdict(bool(allowed), reason, retry)

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()
