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
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
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


def test_a_request_its_sql_and_its_log_lines_share_one_trace(platform, auth_headers, log_stream, collector):
    """The API as deployed: BAYFIN_OTLP_ENDPOINT set, spans exported over OTLP/HTTP at shutdown."""
    platform.settings = platform.settings.model_copy(update={"otlp_endpoint": collector})
    app = create_app(platform=platform)

    @app.get("/t/log")
    def log_something() -> dict[str, str]:
        logging.getLogger("bayfin.test").warning("inside a request")
        return {"ok": "yes"}

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/v1/fraud/decisions/ev-none", headers=auth_headers(**ANALYST))
        assert r.status_code == 404
        assert client.get("/t/log").status_code == 200
        assert client.get("/healthz").status_code == 200
    # the app's shutdown flushed its spans to the collector and removed the instrumentation
    assert kernel_logging._trace_context is None
    spans = exported_spans()
    servers = [s for s in spans if s.kind == Span.SPAN_KIND_SERVER]
    routes = {attribute(s, "http.route"): s for s in servers}
    report = routes["/v1/fraud/decisions/{event_id}"]
    sql = [s for s in spans if {"db.system", "db.system.name"} & {a.key for a in s.attributes}]
    assert any(s.trace_id == report.trace_id for s in sql), [s.name for s in spans]
    logged = next(line for line in json_lines(log_stream) if line["msg"] == "inside a request")
    assert logged["trace_id"] == routes["/t/log"].trace_id.hex()
    assert len(logged["span_id"]) == 16
    # probes are not traced: an orchestrator's polling would drown the real traffic
    assert "/healthz" not in routes


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
    """An OTLP/HTTP receiver keeping what it is sent."""

    received: ClassVar[list[tuple[str, str, bytes]]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Collector.received.append((self.path, self.headers.get("Content-Type", ""), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def collector():
    """The URL of a local OTLP/HTTP receiver."""
    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Collector.received.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def exported_spans() -> list:
    """Every span the collector received, decoded from OTLP protobuf."""
    spans = []
    for path, content_type, body in Collector.received:
        assert path == "/v1/traces" and content_type == "application/x-protobuf"
        request = ExportTraceServiceRequest.FromString(body)
        spans += [span for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]
    return spans


def attribute(span, key: str):
    return next((a.value.string_value for a in span.attributes if a.key == key), None)


def test_with_an_otlp_endpoint_spans_are_exported_over_otlp_http(collector):
    tracing = configure_tracing(Settings(environment="test", otlp_endpoint=collector), "bayfin-test")
    assert tracing is not None
    with tracing.provider.get_tracer("test").start_as_current_span("exported"):
        pass
    tracing.shutdown()  # flushes the batch
    assert [span.name for span in exported_spans()] == ["exported"]
