"""The tokens outbox worker runs as a service: it answers its probes while it serves and stops on SIGTERM
between rounds with exit 0 (a round's rows are each committed on their own, so nothing is half-sent)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.ops.processes import Server, environment, get


@pytest.mark.timeout(900)  # a real process: its start-up alone takes minutes on a loaded machine
def test_the_outbox_worker_serves_its_probes_and_exits_0_on_sigterm(
        database_url: str, tmp_path: Path) -> None:
    server = Server(["tokens", "payments", "work", "--interval", "0.2", "--probe-port", "0"],
                    environment(database_url, tmp_path))
    try:
        probes = server.probe_url()
        deadline = time.monotonic() + 60
        while get(probes + "/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        ready = get(probes + "/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["database"]["status"] == "up"
        assert server.terminate_and_wait() == 0, "".join(server.stderr[-30:])
    finally:
        server.kill()
