"""Feature state in Redis gives exactly the decisions of in-memory state."""

import uuid

import pytest

from bayfin.antifraud.engine import DecisionEngine
from bayfin.antifraud.eventfile import event_from_row, read_rows
from bayfin.antifraud.ruleset import RuleRegistry, load_ruleset
from bayfin.antifraud.simulator import simulate
from bayfin.antifraud.state import InMemoryStateStore, RedisStateStore
from tests.services import require_service

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_store():
    url = require_service("redis")
    store = RedisStateStore.from_url(url, prefix=f"bayfin:test:{uuid.uuid4().hex}:")
    yield store
    store.clear()
    store.close()


def test_redis_state_gives_the_same_decisions_and_features_as_memory(tmp_path, redis_store):
    simulate(tmp_path, customers=150, days=2, seed=5, fraud_rate=60)
    events = [event_from_row(row) for row in read_rows(tmp_path)]
    rules = load_ruleset()
    in_memory = DecisionEngine(RuleRegistry(rules), InMemoryStateStore())
    in_redis = DecisionEngine(RuleRegistry(rules), redis_store)
    flagged = 0
    for e in events:
        a, b = in_memory.decide(e), in_redis.decide(e)
        assert (a.outcome, a.score, a.reason_codes, a.shadow_hits) == (
            b.outcome,
            b.score,
            b.reason_codes,
            b.shadow_hits,
        ), e.event_id
        assert a.features == b.features, e.event_id
        flagged += a.outcome.value >= 2
    assert len(events) > 500 and flagged > 10  # the stream exercises rules, not only ALLOW


def test_a_second_engine_on_the_same_redis_continues_the_first_ones_history(tmp_path, redis_store):
    simulate(tmp_path, customers=50, days=1, seed=9)
    events = [event_from_row(row) for row in read_rows(tmp_path)]
    rules = load_ruleset()
    reference = DecisionEngine(RuleRegistry(rules), InMemoryStateStore())
    worker_one = DecisionEngine(RuleRegistry(rules), redis_store)
    worker_two = DecisionEngine(RuleRegistry(rules), redis_store)
    half = len(events) // 2
    for k, e in enumerate(events):
        expected = reference.decide(e)
        got = (worker_one if k < half else worker_two).decide(e)
        assert got.features == expected.features


def test_workers_deciding_the_same_customer_at_once_lose_no_update(redis_store):
    import threading

    from tests.antifraud_events import event

    rules = load_ruleset()
    workers = [DecisionEngine(RuleRegistry(rules), redis_store) for _ in range(4)]
    errors = []

    def run(k):
        try:
            for n in range(25):
                workers[k].decide(event(k * 100 + n, minutes=n))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    final = workers[0].decide(event(999, minutes=30))
    assert final.features["cust_event_count"] == 100  # every one of the 100 concurrent events counted
