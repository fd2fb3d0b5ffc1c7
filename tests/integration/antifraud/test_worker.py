import asyncio
import json
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bayfin.antifraud.models import FraudDecisionRecord
from bayfin.antifraud.settings import FraudSettings
from bayfin.antifraud.wiring import build_service, nats_stream
from bayfin.antifraud.worker import WorkerConfig, run_worker
from bayfin.integrations.nats_fraud_stream import ensure_stream
from bayfin.integrations.redis_fraud_state import RedisStateStore
from tests.antifraud_events import event_data
from tests.services import require_service

N = 40


def _service(session_factory, prefix):
    store = RedisStateStore.from_url(require_service("redis"), prefix=prefix)
    return build_service(FraudSettings(reload_seconds=0, lists_refresh_seconds=0), session_factory,
                         store=store)


async def _until(condition, what, *workers, seconds=60.0):
    """Wait until ``condition()`` holds, failing with ``what`` after ``seconds`` or as soon as one of
    the worker tasks has died (its exception is raised): a test never waits forever."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        for task in workers:
            if task.done() and not task.cancelled():
                task.result()
                raise AssertionError(f"a worker stopped before {what}")
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _stored(session_factory, tag, n, *workers):
    """Wait until ``n`` decisions of the run are stored (a fresh read each time: one long read
    transaction would keep seeing its first snapshot)."""
    def count():
        with session_factory() as s:
            return s.scalar(select(func.count()).select_from(FraudDecisionRecord)
                            .where(FraudDecisionRecord.event_id.startswith(tag)))

    await _until(lambda: count() >= n, f"{n} stored decisions", *workers)


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
    task_a = asyncio.create_task(run_worker(a, session_factory, config, stop_a, seen_a.append,
                                            open_stream=nats_stream))
    await _until(lambda: len(seen_a) >= N // 3, "the first worker's third of the events", task_a)
    task_a.cancel()  # killed mid-stream: whatever it had fetched but not acknowledged is redelivered
    task_b = asyncio.create_task(run_worker(b, session_factory, config, stop_b, open_stream=nats_stream))
    await _stored(session_factory, tag, N, task_b)
    await asyncio.sleep(1.5)  # let redeliveries of already-stored events arrive and be acknowledged
    stop_b.set()
    await asyncio.wait_for(task_b, 60)
    await _done(nc, js, config)
    await asyncio.wait_for(asyncio.gather(task_a, return_exceptions=True), 60)
    return tag, published


async def _done(nc, js, config):
    """Delete the run's stream (the server keeps nothing from a test) and close the connection."""
    await js.delete_stream(config.stream)
    await asyncio.wait_for(nc.drain(), 60)


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
    """A session factory whose first ``times`` sessions fail, as when the database is busy: at
    ``BEGIN`` (before anything is decided) or at ``COMMIT`` (after the decision was made and its row
    written in the transaction, which is then rolled back)."""

    def __init__(self, factory, times, at):
        self.factory, self.left, self.failed, self.at = factory, times, 0, at

    def _fail(self, *_):
        self.failed += 1
        from sqlalchemy.exc import OperationalError

        raise OperationalError(self.at, {}, Exception("database is locked"))

    def __call__(self):
        if not self.left:
            return self.factory()
        self.left -= 1
        if self.at == "BEGIN":
            self._fail()
        session = self.factory()
        session.commit = lambda: (session.rollback(), self._fail())
        return session


@pytest.mark.parametrize("at", ["BEGIN", "COMMIT"])
def test_a_worker_that_cannot_store_a_decision_tries_again_then_leaves_it_unacknowledged(engine, at):
    from bayfin.antifraud.worker import STORE_ATTEMPTS

    nats_url = require_service("nats")
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    async def run():
        tag, config, nc, js = await _stream(nats_url, batch=5, ack_wait_seconds=2.0)
        for i in range(5):
            await js.publish(config.subject, json.dumps(event_data(i, event_id=f"{tag}-{i}")).encode())
        flaky = _Failing(factory, times=STORE_ATTEMPTS, at=at)  # every try of the first event fails
        stop = asyncio.Event()
        published: list[dict] = []
        task = asyncio.create_task(run_worker(_service(factory, f"test:{tag}:"), flaky, config, stop,
                                              published.append, open_stream=nats_stream))
        await _stored(factory, tag, 5, task)
        stop.set()
        acked = await asyncio.wait_for(task, 60)
        await _done(nc, js, config)
        return tag, flaky.failed, acked, published

    tag, failed, acked, published = asyncio.run(run())
    assert failed == STORE_ATTEMPTS  # the first decision could not be stored in any try ...
    with factory() as s:  # ... and was delivered again: all five stored, each once
        ids = sorted(s.scalars(select(FraudDecisionRecord.event_id)
                               .where(FraudDecisionRecord.event_id.startswith(tag))))
    assert ids == sorted(f"{tag}-{i}" for i in range(5))
    # every message acknowledged at least once (a slow machine may see one delivered again after
    # its ack wait: it is then answered from the stored decision), each event decided once
    assert acked == len(published) >= 5
    fresh = [p["event_id"] for p in published if not p.get("repeat")]
    assert sorted(fresh) == ids


@pytest.fixture(autouse=True)
def _quiet_nats_logs(caplog):
    caplog.set_level("CRITICAL", logger="nats")
