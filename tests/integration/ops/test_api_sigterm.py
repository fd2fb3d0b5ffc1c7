"""``bayfin api serve`` as a real process: SIGTERM answers the request in progress and exits 0; with
several workers one /metrics scrape counts every worker's requests."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.antifraud_events import event_data
from tests.integration.ops.processes import Server, environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(server: Server, port: int) -> None:
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        assert server.proc.poll() is None, "".join(server.stderr[-30:])
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the API never answered /healthz")


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed; got {data!r}"
        data += chunk
    return data


# a real process: its start-up alone takes minutes on a loaded machine
@pytest.mark.timeout(900)
def test_sigterm_lets_the_request_in_progress_finish_and_exits_0(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    server = Server(["api", "serve", "--port", str(port)], environment(database_url, tmp_path))
    try:
        wait_until_serving(server, port)
        body = json.dumps(event_data(1)).encode()
        request = socket.create_connection(("127.0.0.1", port), timeout=30)
        # Expect: 100-continue makes the server say when the application starts reading the body:
        # from then on this request is in progress, and its body is still to come
        request.sendall(b"POST /v1/fraud/decisions HTTP/1.1\r\nHost: api\r\n"
                        b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(body))
        assert b"100 Continue" in read_until(request, b"\r\n\r\n")
        server.proc.terminate()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the drain has begun once new connections are refused
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                time.sleep(0.05)
            except OSError:
                break
        else:
            raise AssertionError("the server kept accepting connections after SIGTERM")
        request.sendall(body)
        answer = read_until(request, b"\r\n\r\n")
        # answered in full: no token, so the API's own 401 problem, not a dropped connection
        assert answer.startswith(b"HTTP/1.1 401"), answer
        request.close()
        assert server.proc.wait(timeout=60) == 0, "".join(server.stderr[-30:])
    finally:
        server.kill()


# a real process: its start-up alone takes minutes on a loaded machine
@pytest.mark.timeout(900)
def test_two_workers_share_one_metrics_view_and_both_stop_on_sigterm(database_url: str,
                                                                     tmp_path: Path) -> None:
    port = free_port()
    server = Server(["api", "serve", "--port", str(port), "--workers", "2"],
                    environment(database_url, tmp_path))
    try:
        wait_until_serving(server, port)
        for _ in range(30):  # a new connection each: the kernel spreads them over both workers
            assert httpx.get(f"http://127.0.0.1:{port}/v1/unknown-route-probe", timeout=10).status_code == 404
        counted = 0.0
        for family in text_string_to_metric_families(httpx.get(f"http://127.0.0.1:{port}/metrics").text):
            for s in family.samples:
                if s.name == "bayfin_http_request_duration_seconds_count" \
                        and s.labels["route"] == "unmatched":
                    counted += s.value
        assert counted == 30  # whichever worker answered the scrape, it saw both workers' requests
        assert (tmp_path / "prometheus").is_dir()
        assert server.terminate_and_wait() == 0, "".join(server.stderr[-30:])
    finally:
        server.kill()
