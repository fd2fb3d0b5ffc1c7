import pytest

from bayfin.kernel.ratelimit import Limit, MemoryRateLimiter


class Clock:
    def __init__(self, t=1_700_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_a_burst_is_admitted_then_the_sustained_rate_applies():
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    limit = Limit(per_second=10, burst=5)
    assert all(limiter.hit("bank-a", limit).allowed for _ in range(5))
    denied = limiter.hit("bank-a", limit)
    assert not denied.allowed and denied.reason == "rate"
    assert denied.retry_after == pytest.approx(0.1, abs=1e-6)
    clock.t += 0.1
    assert limiter.hit("bank-a", limit).allowed


def test_organizations_are_counted_apart():
    limiter = MemoryRateLimiter(Clock())
    limit = Limit(per_second=1, burst=1)
    assert limiter.hit("bank-a", limit).allowed
    assert limiter.hit("bank-b", limit).allowed
    assert not limiter.hit("bank-a", limit).allowed


def test_the_daily_quota_runs_out_and_resets_at_utc_midnight():
    clock = Clock(1_700_006_400.0)  # 2023-11-15 00:00 UTC
    limiter = MemoryRateLimiter(clock)
    limit = Limit(per_second=1000, burst=1000, per_day=3)
    assert all(limiter.hit("k", limit).allowed for _ in range(3))
    denied = limiter.hit("k", limit)
    assert not denied.allowed and denied.reason == "daily_quota"
    assert denied.retry_after == pytest.approx(86400)
    clock.t += 86400
    assert limiter.hit("k", limit).allowed
