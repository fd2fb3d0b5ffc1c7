"""The terminals ingest stops on SIGTERM by draining: every message it took from the broker is committed."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select

from bayfin.integrations.mqtt_terminals import make_client
from bayfin.terminals.models import Event
from tests.integration.ops.processes import Server, environment, get
from tests.services import require_service


# a real process: its start-up alone takes minutes on a loaded machine
@pytest.mark.timeout(900)
@pytest.mark.mqtt
def test_sigterm_mid_backlog_commits_every_received_message_and_exits_0(
        engine: Engine, database_url: str, tmp_path: Path) -> None:
    mqtt_url = require_service("mqtt")
    prefix = f"sig{uuid.uuid4().hex[:8]}-"

    def stored() -> int:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Event).where(
                Event.serial.like(prefix + "%"))) or 0

    server = Server(["terminals", "ingest", "--probe-port", "0", "--json"],
                    environment(database_url, tmp_path, BAYFIN_MQTT_URL=mqtt_url))
    publisher = None
    try:
        probes = server.probe_url()
        deadline = time.monotonic() + 30
        while get(probes + "/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert get(probes + "/readyz").json()["checks"]["mqtt"]["status"] == "up"
        publisher = make_client(mqtt_url, f"test-{prefix}")
        sent = [publisher.publish(f"bayfin/terminals/{prefix}{n:04d}/telemetry", b"not signed", qos=1)
                for n in range(600)]
        for info in sent:
            info.wait_for_publish(timeout=30)
        while stored() == 0 and time.monotonic() < deadline + 30:
            time.sleep(0.02)
        at_sigterm = stored()
        assert at_sigterm > 0
        assert "bayfin_terminals_messages_total" in get(probes + "/metrics").text
        assert server.terminate_and_wait() == 0, "".join(server.stderr[-30:])
    finally:
        server.kill()
        if publisher is not None:
            publisher.disconnect()
            publisher.loop_stop()
    stats = json.loads(server.stdout)
    try:
        # nothing received was left unprocessed (retained status messages of other tests count too)
        assert stats["received"] == stats["messages"]
        # each unsigned message from an unknown device leaves one refusal row: all were published
        # (acknowledged by the broker) before SIGTERM, and the drain processed every one
        assert stored() == 600 and at_sigterm <= 600
    finally:
        with engine.begin() as conn:
            conn.execute(delete(Event).where(Event.serial.like(prefix + "%")))
