"""The fraud stream worker stops on SIGTERM by draining: the batch in hand is stored and acknowledged,
the rest stays in the stream; its probe port reports readiness, decisions and the consumer's lag."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, delete, func, select

from bayfin.antifraud.models import FraudCase, FraudCaseEntry, FraudDecisionRecord
from bayfin.antifraud.worker import WorkerConfig
from bayfin.integrations.nats_fraud_stream import ensure_stream
from tests.antifraud_events import event_data
from tests.integration.ops.processes import Server, environment, get
from tests.services import require_service

N = 400


# a real process: its start-up alone takes minutes on a loaded machine
@pytest.mark.timeout(900)
@pytest.mark.nats
def test_sigterm_mid_stream_acknowledges_exactly_what_was_stored_and_exits_0(
        engine: Engine, database_url: str, tmp_path: Path) -> None:
    import nats

    nats_url = require_service("nats")
    tag = uuid.uuid4().hex[:8]
    config = WorkerConfig(nats_url=nats_url, stream=f"SIG_{tag}", subject=f"sig.{tag}.events",
                          durable=f"d_{tag}")

    def stored() -> int:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(FraudDecisionRecord)
                               .where(FraudDecisionRecord.event_id.startswith(tag))) or 0

    async def publish() -> None:
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await ensure_stream(js, config)
        for i in range(N):
            await js.publish(config.subject, json.dumps(
                event_data(i, event_id=f"{tag}-{i}", customer_id=f"c{tag}{i % 11}")).encode())
        await nc.close()

    async def consumer_state() -> tuple[int, int]:
        nc = await nats.connect(nats_url)
        try:
            info = await nc.jetstream().consumer_info(config.stream, config.durable)
            return info.num_pending, info.num_ack_pending
        finally:
            await nc.close()

    asyncio.run(publish())
    server = Server(["fraud", "worker", "--state", "memory", "--nats", nats_url, "--stream", config.stream,
                     "--subject", config.subject, "--durable", config.durable, "--probe-port", "0"],
                    environment(database_url, tmp_path))
    try:
        probes = server.probe_url()
        deadline = time.monotonic() + 60
        while stored() == 0 and time.monotonic() < deadline:
            assert server.proc.poll() is None, "".join(server.stderr[-30:])
            time.sleep(0.02)
        assert get(probes + "/readyz").status_code == 200
        families = {f.name: f for f in text_string_to_metric_families(get(probes + "/metrics").text)}
        assert sum(s.value for s in families["bayfin_fraud_decisions"].samples
                   if s.name == "bayfin_fraud_decisions_total") > 0
        lag = [s for s in families["bayfin_fraud_consumer_pending"].samples
               if s.labels == {"stream": config.stream, "consumer": config.durable}]
        assert len(lag) == 1 and 0 <= lag[0].value <= N  # read from JetStream, not made up
        assert server.terminate_and_wait() == 0, "".join(server.stderr[-30:])
    finally:
        server.kill()
    try:
        decided = stored()
        pending, unacknowledged = asyncio.run(consumer_state())
        assert unacknowledged == 0  # nothing taken from the stream was left half-done
        assert decided + pending == N  # every event is either decided or still waiting in the stream
        assert decided > 0
    finally:
        with engine.begin() as conn:
            cases = select(FraudCase.id).where(FraudCase.event_id.startswith(tag))
            conn.execute(delete(FraudCaseEntry).where(FraudCaseEntry.case_id.in_(cases)))
            conn.execute(delete(FraudCase).where(FraudCase.event_id.startswith(tag)))
            conn.execute(delete(FraudDecisionRecord).where(FraudDecisionRecord.event_id.startswith(tag)))

        async def drop_stream() -> None:
            nc = await nats.connect(nats_url)
            await nc.jetstream().delete_stream(config.stream)
            await nc.close()

        asyncio.run(drop_stream())
