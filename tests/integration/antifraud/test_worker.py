import asyncio
import json
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bayfin.antifraud.models import FraudDecisionRecord
from bayfin.antifraud.service import FraudService, FraudSettings
from bayfin.antifraud.state import RedisStateStore
from bayfin.antifraud.worker import WorkerConfig, ensure_stream, run_worker
from tests.antifraud_events import event_data
from tests.services import require_service

N = 40


def _service(session_factory, prefix):
    store = RedisStateStore.from_url(require_service("redis"), prefix=prefix)
    return FraudService.build(FraudSettings(reload_seconds=0, lists_refresh_seconds=0), session_factory,
                              store=store)


async def _stored(session_factory, tag, n, polls=600):
    """Wait until ``n`` decisions of the run are stored (a fresh read each time: one long read
    transaction would keep seeing its first snapshot)."""
    for _ in range(polls):
        with session_factory() as s:
            if s.scalar(select(func.count()).select_from(FraudDecisionRecord)
                        .where(FraudDecisionRecord.event_id.startswith(tag))) >= n:
                return
        await asyncio.sleep(0.05)


async def _stream(nats_url, *, batch, ack_wait_seconds):
    """A fresh stream and durable consumer for one test run: (tag, config, connection, jetstream)."""
    import nats

    tag = uuid.uuid4().hex[:8]
    config = WorkerConfig(nats_url=nats_url, stream=f"T_{tag}", subject=f"test.{tag}.events",
                          durable=f"d_{tag}", decisions_subject=f"test.{tag}.decisions", batch=batch,
                          ack_wait_seconds=ack_wait_seconds)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, config)
    return tag, config, nc, js


async def _scenario(session_factory, nats_url):
    tag, config, nc, js = await _stream(nats_url, batch=10, ack_wait_seconds=1.0)
    published: list[dict] = []
    async def note(msg):
        published.append(json.loads(msg.data))

    await nc.subscribe(config.decisions_subject, cb=note)
    for i in range(N):
        await js.publish(config.subject, json.dumps(
            event_data(i, event_id=f"{tag}-{i}", customer_id=f"c{tag}{i % 7}")).encode())
    prefix = f"test:{tag}:"
    a, b = _service(session_factory, prefix), _service(session_factory, prefix)
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    seen_a: list[dict] = []
    task_a = asyncio.create_task(run_worker(a, session_factory, config, stop_a, seen_a.append))
    while len(seen_a) < N // 3:
        await asyncio.sleep(0.01)
    task_a.cancel()  # killed mid-stream: whatever it had fetched but not acknowledged is redelivered
    task_b = asyncio.create_task(run_worker(b, session_factory, config, stop_b))
    await _stored(session_factory, tag, N)
    await asyncio.sleep(1.5)  # let redeliveries of already-stored events arrive and be acknowledged
    stop_b.set()
    await task_b
    await nc.drain()
    await asyncio.gather(task_a, return_exceptions=True)
    return tag, published


def test_a_worker_killed_mid_stream_loses_no_event_and_none_is_decided_twice(engine):
    nats_url = require_service("nats")
    factory = sessionmaker(bind=engine, expire_on_commit=False)  # real commits: workers run on threads
    tag, published = asyncio.run(_scenario(factory, nats_url))
    with factory() as s:
        ids = list(s.scalars(select(FraudDecisionRecord.event_id)
                             .where(FraudDecisionRecord.event_id.startswith(tag))))
    assert sorted(ids) == sorted(f"{tag}-{i}" for i in range(N))  # all decided, each stored once
    fresh = [p["event_id"] for p in published if not p.get("repeat")]
    assert len(fresh) == len(set(fresh))  # no event decided twice, even when redelivered
    assert {p["event_id"] for p in published} == set(ids)  # every decision was published


class _Failing:
    """A session factory whose first ``times`` sessions cannot be opened, as when the database is busy."""

    def __init__(self, factory, times):
        self.factory, self.left, self.failed = factory, times, 0

    def __call__(self):
        if self.left:
            self.left -= 1
            self.failed += 1
            from sqlalchemy.exc import OperationalError

            raise OperationalError("BEGIN", {}, Exception("database is locked"))
        return self.factory()


def test_a_worker_that_cannot_store_a_decision_tries_again_then_leaves_it_unacknowledged(engine):
    from bayfin.antifraud.worker import STORE_ATTEMPTS

    nats_url = require_service("nats")
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    async def run():
        tag, config, nc, js = await _stream(nats_url, batch=5, ack_wait_seconds=0.5)
        for i in range(5):
            await js.publish(config.subject, json.dumps(event_data(i, event_id=f"{tag}-{i}")).encode())
        flaky = _Failing(factory, times=STORE_ATTEMPTS)  # every try of the first event fails
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(_service(factory, f"test:{tag}:"), flaky, config, stop))
        await _stored(factory, tag, 5)
        stop.set()
        acked = await task
        await nc.drain()
        return tag, flaky.failed, acked

    tag, failed, acked = asyncio.run(run())
    assert failed == STORE_ATTEMPTS  # the first decision could not be stored in any try ...
    with factory() as s:  # ... and was delivered again: all five stored, each once
        ids = sorted(s.scalars(select(FraudDecisionRecord.event_id)
                               .where(FraudDecisionRecord.event_id.startswith(tag))))
    assert ids == sorted(f"{tag}-{i}" for i in range(5)) and acked == 5


@pytest.fixture(autouse=True)
def _quiet_nats_logs(caplog):
    caplog.set_level("CRITICAL", logger="nats")
