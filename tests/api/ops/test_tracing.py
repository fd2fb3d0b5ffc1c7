"""OpenTelemetry: off unless configured; when on, one trace spans the request, its SQL, httpx and
Redis calls, and the JSON log lines carry its id."""

import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from bayfin.api.app import create_app
from bayfin.kernel import logging as kernel_logging
from bayfin.kernel.logging import JsonFormatter
from bayfin.kernel.observability import configure_tracing
from bayfin.kernel.settings import Settings
from tests.services import require_service

ANALYST = {"org": "bank-1", "org_type": "institution", "roles": ["fraud_analyst"], "scopes": ["fraud:read"]}


def json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def log_stream():
    """The root logger's JSON lines, captured."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_tracing_is_off_without_an_endpoint_and_logs_carry_no_trace_id(log_stream):
    assert configure_tracing(Settings(environment="test"), "bayfin-test") is None
    assert kernel_logging._trace_context is None
    logging.getLogger("bayfin.test").warning("no tracing here")
    assert "trace_id" not in json_lines(log_stream)[-1]


def test_a_request_its_sql_and_its_log_lines_share_one_trace(platform, auth_headers, log_stream):
    exporter = InMemorySpanExporter()
    app = create_app(platform=platform, span_exporter=exporter)

    @app.get("/t/log")
    def log_something() -> dict[str, str]:
        logging.getLogger("bayfin.test").warning("inside a request")
        return {"ok": "yes"}

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/v1/fraud/decisions/ev-none", headers=auth_headers(**ANALYST))
        assert r.status_code == 404
        assert client.get("/t/log").status_code == 200
        spans = exporter.get_finished_spans()
        servers = [s for s in spans if s.kind is SpanKind.SERVER]
        route = "/v1/fraud/decisions/{event_id}"
        report = next(s for s in servers if s.attributes.get("http.route") == route)
        sql = [s for s in spans if {"db.system", "db.system.name"} & set(s.attributes or {})]
        assert any(s.context.trace_id == report.context.trace_id for s in sql), [s.name for s in spans]
        logged = next(line for line in json_lines(log_stream) if line["msg"] == "inside a request")
        log_span = next(s for s in servers if s.attributes.get("http.route") == "/t/log")
        assert logged["trace_id"] == f"{log_span.context.trace_id:032x}"
        assert len(logged["span_id"]) == 16
        # probes are not traced: an orchestrator's polling would drown the real traffic
        exporter.clear()
        client.get("/healthz")
        assert not [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    # shut down with the app: logs stop carrying ids, the next app starts clean
    assert kernel_logging._trace_context is None


@pytest.mark.redis
def test_redis_and_httpx_calls_join_the_current_trace_when_tracing_is_on():
    import httpx
    import redis

    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    exporter = InMemorySpanExporter()
    tracing = configure_tracing(Settings(environment="test"), "bayfin-test", exporter=exporter)
    assert tracing is not None
    try:
        with tracing.provider.get_tracer("test").start_as_current_span("work") as parent:
            redis.Redis.from_url(require_service("redis")).ping()
            httpx.post(f"http://127.0.0.1:{server.server_port}/hook", content=b"{}")
    finally:
        tracing.shutdown()
        server.shutdown()
        server.server_close()
    trace_id = parent.get_span_context().trace_id
    spans = exporter.get_finished_spans()
    assert [s.context.trace_id for s in spans if s.name == "PING"] == [trace_id]
    assert [s.context.trace_id for s in spans if s.kind is SpanKind.CLIENT and s.name == "POST"] == [trace_id]


class Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, int]]] = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        Collector.received.append((self.path, self.headers.get("Content-Type", ""), length))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_with_an_otlp_endpoint_spans_are_exported_over_otlp_http():
    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Collector.received.clear()
    try:
        settings = Settings(environment="test", otlp_endpoint=f"http://127.0.0.1:{server.server_port}")
        tracing = configure_tracing(settings, "bayfin-test")
        assert tracing is not None
        with tracing.provider.get_tracer("test").start_as_current_span("exported"):
            pass
        tracing.shutdown()  # flushes the batch
    finally:
        server.shutdown()
        server.server_close()
    assert Collector.received, "nothing reached the collector"
    path, content_type, length = Collector.received[0]
    assert path == "/v1/traces" and content_type == "application/x-protobuf" and length > 0
