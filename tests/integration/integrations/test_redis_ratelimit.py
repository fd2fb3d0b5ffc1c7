import uuid

import redis

from bayfin.integrations.redis_ratelimit import RedisRateLimiter
from bayfin.kernel.ratelimit import Limit
from tests.services import require_service


def test_workers_sharing_redis_share_one_count_per_organization():
    url = require_service("redis")
    a, b = (RedisRateLimiter(redis.Redis.from_url(url)) for _ in range(2))
    key = f"test-{uuid.uuid4().hex}"
    limit = Limit(per_second=0.5, burst=3)
    verdicts = [(a if i % 2 else b).hit(key, limit) for i in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].reason == "rate" and 0 < verdicts[-1].retry_after <= 2.0
    a.close()
    b.close()


def test_the_daily_quota_is_shared_too():
    url = require_service("redis")
    limiter = RedisRateLimiter(redis.Redis.from_url(url))
    key = f"test-{uuid.uuid4().hex}"
    limit = Limit(per_second=1000, burst=1000, per_day=2)
    assert [limiter.hit(key, limit).allowed for _ in range(3)] == [True, True, False]
    assert limiter.hit(key, limit).reason == "daily_quota"
    limiter.close()
