"""Per-caller rate limits (GCRA, smooth with a burst allowance) and daily quotas.

The in-memory limiter serves one process; :class:`bayfin.integrations.redis_ratelimit.RedisRateLimiter`
gives the same answers to every worker sharing one Redis.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


@dataclass(frozen=True)
class Limit:
    """``per_second`` sustained with bursts of ``burst``, and at most ``per_day`` a calendar day (UTC)."""

    per_second: float
    burst: int
    per_day: int | None = None


@dataclass(frozen=True)
class Verdict:
    """Whether the hit is allowed; when not, what ran out and when to retry."""

    allowed: bool
    reason: str = ""
    retry_after: float = 0.0


class RateLimiter(Protocol):
    """Counts hits per key against a limit."""

    def hit(self, key: str, limit: Limit) -> Verdict: ...


def gcra(tat: float, now: float, limit: Limit) -> tuple[bool, float, float]:
    """One GCRA step: (allowed, new theoretical arrival time, retry after seconds)."""
    interval = 1.0 / limit.per_second
    new_tat = max(tat, now) + interval
    allow_at = new_tat - limit.burst * interval
    if now < allow_at:
        return False, tat, allow_at - now
    return True, new_tat, 0.0


def seconds_to_midnight_utc(now: float) -> float:
    """Seconds until the next UTC day starts (when a daily quota resets)."""
    dt = datetime.fromtimestamp(now, UTC)
    return 86400 - (dt.hour * 3600 + dt.minute * 60 + dt.second + dt.microsecond / 1e6)


class MemoryRateLimiter:
    """Thread-safe limiter for a single process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._tat: dict[str, float] = {}
        self._day: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: Limit) -> Verdict:
        """Count one hit for ``key``."""
        now = self._clock()
        with self._lock:
            if limit.per_day is not None:
                today = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d")
                day, used = self._day.get(key, (today, 0))
                used = used if day == today else 0
                if used >= limit.per_day:
                    return Verdict(False, "daily_quota", seconds_to_midnight_utc(now))
            allowed, tat, retry = gcra(self._tat.get(key, 0.0), now, limit)
            if not allowed:
                return Verdict(False, "rate", retry)
            self._tat[key] = tat
            if limit.per_day is not None:
                self._day[key] = (today, used + 1)
            return Verdict(True)
