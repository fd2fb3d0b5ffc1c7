"""Feature state in Redis gives exactly the decisions of in-memory state."""

import uuid

import pytest

from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.eventfile import event_from_row, read_rows
from bayfin.antifraud.engine.ruleset import RuleRegistry, load_ruleset
from bayfin.antifraud.engine.state import InMemoryStateStore
from bayfin.integrations.redis_fraud_state import RedisStateStore
from bayfin.simulation.antifraud.simulator import simulate
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


def _two_workers(tmp_path, redis_store, **simulation):
    """A simulated stream, a reference engine on memory and two engines sharing ``redis_store``."""
    simulate(tmp_path, days=1, **simulation)
    events = [event_from_row(row) for row in read_rows(tmp_path)]
    rules = load_ruleset()
    def engine(store):
        return DecisionEngine(RuleRegistry(rules), store)

    return events, engine(InMemoryStateStore()), engine(redis_store), engine(redis_store)


def test_a_second_engine_on_the_same_redis_continues_the_first_ones_history(tmp_path, redis_store):
    events, reference, worker_one, worker_two = _two_workers(tmp_path, redis_store, customers=50, seed=9)
    half = len(events) // 2
    for k, e in enumerate(events):
        expected = reference.decide(e)
        got = (worker_one if k < half else worker_two).decide(e)
        assert got.features == expected.features


def test_an_event_delivered_again_to_another_worker_counts_once_and_decides_the_same(tmp_path, redis_store):
    """Worker one folds events into the shared state and dies before acknowledging the last one;
    worker two gets it again: it must see the features worker one saw and leave the state as it was,
    so every later event's features equal those of a history where each event came once."""
    events, reference, worker_one, worker_two = _two_workers(tmp_path, redis_store, customers=40, seed=11,
                                                             fraud_rate=60)
    half = len(events) // 2
    expected = [reference.decide(e) for e in events]
    first = [worker_one.decide(e) for e in events[:half]]
    again = worker_two.decide(events[half - 1])  # the redelivery
    assert again.features == first[-1].features == expected[half - 1].features
    assert (again.outcome, again.score, again.reason_codes) == (
        first[-1].outcome, first[-1].score, first[-1].reason_codes)
    assert redis_store.repeats == 1
    for k in range(half, len(events)):
        assert worker_two.decide(events[k]).features == expected[k].features, events[k].event_id
    assert redis_store.repeats == 1


def test_the_event_marker_keeps_only_what_differs_from_the_defaults():
    from bayfin.antifraud.engine.features import FEATURE_DEFAULTS, pack_features, unpack_features

    features = dict(FEATURE_DEFAULTS, amount_fen=1234, cust_out_count_1h=False, speed_kmh=12.5)
    packed = pack_features(features)
    # a change of type alone (0 to False) is kept too
    assert packed == {"amount_fen": 1234, "cust_out_count_1h": False, "speed_kmh": 12.5}
    assert unpack_features(packed) == features
    assert list(unpack_features(packed)) == list(features)  # the same order, for models reading by position


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
