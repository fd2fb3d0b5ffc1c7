import asyncio
import json

from bayfin.antifraud.settings import FraudSettings
from bayfin.antifraud.stream import InMemoryFraudStream
from bayfin.antifraud.wiring import build_service
from bayfin.antifraud.worker import WorkerConfig, run_worker
from tests.antifraud_events import event_data


def test_the_worker_decides_each_streamed_event_once_and_publishes_its_decision(session_factory):
    stream = InMemoryFraudStream()
    for n in range(3):
        stream.put(json.dumps(event_data(n, event_id=f"mem-{n}")).encode())
    stream.put(json.dumps(event_data(0, event_id="mem-0")).encode())  # a redelivery
    service = build_service(FraudSettings(reload_seconds=0, lists_refresh_seconds=0), session_factory)
    config = WorkerConfig(lag_every_seconds=0)

    async def main() -> int:
        stop = asyncio.Event()

        async def opened(_config: WorkerConfig) -> InMemoryFraudStream:
            return stream

        def decided(_result: dict) -> None:
            if not stream.pending:
                stop.set()

        return await run_worker(service, session_factory, config, stop, decided, open_stream=opened)

    try:
        assert asyncio.run(main()) == 4
    finally:
        service.close()
    decisions = [json.loads(data) for _subject, data in stream.published]
    assert [d["event_id"] for d in decisions] == ["mem-0", "mem-1", "mem-2", "mem-0"]
    assert decisions[-1]["repeat"] is True and not stream.is_connected
