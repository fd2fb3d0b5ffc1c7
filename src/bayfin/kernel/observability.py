"""Operating the platform: readiness checks, Prometheus metrics, OpenTelemetry traces, probe ports and
a clean stop on SIGTERM, shared by the API and every long-running process (fraud worker, terminals
ingest, ISO 8583 switch).

- Readiness: :func:`configured_checks` names a check for the database and for Redis, NATS and MQTT
  where the settings configure them; :func:`run_checks` runs them in parallel, each with a short
  timeout, and never starts a second copy of a check still hanging from a previous call.
- Metrics: the counters below live in the default ``prometheus_client`` registry; when the process
  runs under ``PROMETHEUS_MULTIPROC_DIR`` (several API workers) :func:`render_metrics` merges every
  process's files, so one scrape sees the whole API.
- Traces: off unless ``BAYFIN_OTLP_ENDPOINT`` is set (or a test injects an exporter); when off no
  OpenTelemetry SDK module is even imported.
- Probes: :class:`ProbeServer` serves ``/healthz``, ``/readyz`` and ``/metrics`` on a small HTTP port
  of its own (``BAYFIN_PROBE_PORT``) for processes that are not HTTP servers themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from bayfin.kernel import logging as kernel_logging
from bayfin.kernel.extras import optional_import

if TYPE_CHECKING:
    from bayfin.kernel.settings import Settings

log = logging.getLogger(__name__)

# -- metrics ---------------------------------------------------------------------------------------
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUEST_SECONDS = Histogram(
    "bayfin_http_request_duration_seconds", "API request latency by route template, method and status.",
    ["method", "route", "status"], buckets=_LATENCY_BUCKETS)
FRAUD_DECISIONS = Counter("bayfin_fraud_decisions_total", "Anti-fraud decisions by outcome.", ["outcome"])
FRAUD_DECISION_SECONDS = Histogram(
    "bayfin_fraud_decision_duration_seconds", "Time the anti-fraud engine took to decide one event.",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25))
FRAUD_CONSUMER_PENDING = Gauge(
    "bayfin_fraud_consumer_pending", "Events in the JetStream stream not yet delivered to the deciders.",
    ["stream", "consumer"], multiprocess_mode="mostrecent")
FRAUD_CONSUMER_ACK_PENDING = Gauge(
    "bayfin_fraud_consumer_ack_pending", "Events delivered to a decider and not yet acknowledged.",
    ["stream", "consumer"], multiprocess_mode="mostrecent")
HUB_INGEST_ROWS = Counter(
    "bayfin_hub_ingest_rows_total",
    "Credit data hub delivery rows by outcome (stored, updated, unchanged, quarantined).",
    ["source", "outcome"])
CONSENT_USES = Counter("bayfin_consent_uses_total",
                       "Consent checks of a data use: granted, or the refusal's reason.", ["result"])
SWITCH_MESSAGES = Counter("bayfin_switch_messages_total",
                          "ISO 8583 switch responses by message type and response code (field 39).",
                          ["mti", "response_code"])

TERMINAL_MESSAGES = Counter(
    "bayfin_terminals_messages_total",
    "Terminal MQTT messages received by the ingest, then committed or failed (by batch).", ["stage"])
TERMINAL_ALARMS = Counter("bayfin_terminals_alarms_total", "Terminal alarms raised by rule.", ["rule"])

_PENDING_KEY = "bayfin_after_commit"


def after_commit(session: Session, hook: Callable[[], None]) -> None:
    """Run ``hook`` once the session's current transaction commits; drop it on rollback (a metric of
    rows that were rolled back would count what never happened)."""
    session.info.setdefault(_PENDING_KEY, []).append(hook)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for hook in session.info.pop(_PENDING_KEY, ()):
        try:
            hook()
        except Exception:
            log.exception("after-commit metric hook failed")


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit (a savepoint may)
        session.info.pop(_PENDING_KEY, None)


def render_metrics() -> tuple[bytes, str]:
    """The Prometheus text exposition of this process, or of every worker process in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def prepare_multiprocess_metrics(workers: int, data_dir: Path) -> Path | None:
    """Before starting several API workers: point ``PROMETHEUS_MULTIPROC_DIR`` at an emptied folder
    (unless the deployer set one) so the workers share their counters; stale files from a previous
    run are removed, as prometheus_client requires. Returns the folder, or None for one worker."""
    if workers <= 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or data_dir / "prometheus")
    if folder.exists():
        for stale in folder.glob("*.db"):
            stale.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())
    return folder


def metrics_authorized(authorization: str | None, token: str | None) -> bool:
    """Whether a scrape may read ``/metrics``: always without a configured token, else with its bearer."""
    if not token:
        return True
    import hmac

    given = (authorization or "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), token.encode())


# -- readiness -------------------------------------------------------------------------------------
#: A readiness check: raises (any exception) when its service is not usable; gets its timeout.
Check = Callable[[float], None]


@dataclass(frozen=True)
class CheckResult:
    """One dependency's state as a probe reports it."""

    name: str
    up: bool
    ms: float
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form (the error names the failure's kind, never a URL or credential)."""
        body: dict[str, Any] = {"status": "up" if self.up else "down", "ms": round(self.ms, 1)}
        if self.error:
            body["error"] = self.error
        return body


def database_check(engine: Engine) -> Check:
    """The database answers ``SELECT 1`` on a pooled connection."""
    def check(_timeout: float) -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    return check


def redis_check(url: str) -> Check:
    """Redis answers PING."""
    import redis  # here, not in the check: a first import can take longer than the check's timeout

    def check(timeout: float) -> None:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            if not client.ping():
                raise ConnectionError("redis did not answer PING")
        finally:
            client.close()
    return check


def _connect(url: str, default_port: int, timeout: float, tls_schemes: Iterable[str]) -> socket.socket:
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port),
                                    timeout=timeout)
    if parsed.scheme in tls_schemes:
        context = ssl.create_default_context()
        return context.wrap_socket(sock, server_hostname=parsed.hostname)
    return sock


def nats_check(url: str) -> Check:
    """A NATS server of the (comma-separated) server list greets with its INFO line."""
    def check(timeout: float) -> None:
        failure: Exception = ConnectionError("no NATS server configured")
        for server in (s.strip() for s in url.split(",") if s.strip()):
            try:
                # NATS greets in plain text before any TLS upgrade
                with _connect(server, 4222, timeout, ()) as sock:
                    if sock.recv(5) == b"INFO ":
                        return
                    failure = ConnectionError("the server did not greet as NATS")
            except OSError as exc:
                failure = exc
        raise failure
    return check


def mqtt_check(url: str) -> Check:
    """The MQTT broker accepts a CONNECT (MQTT 3.1.1, with the URL's credentials) and answers CONNACK 0."""
    def check(timeout: float) -> None:
        parsed = urlparse(url)
        client_id = f"bayfin-readyz-{os.getpid()}-{threading.get_ident() % 100000}".encode()
        flags, payload = 0x02, _mqtt_str(client_id)  # clean session
        if parsed.username:
            flags |= 0x80
            payload += _mqtt_str(parsed.username.encode())
            if parsed.password:
                flags |= 0x40
                payload += _mqtt_str(parsed.password.encode())
        body = _mqtt_str(b"MQTT") + bytes([4, flags]) + struct.pack(">H", 10) + payload
        with _connect(url, 8883 if parsed.scheme in ("mqtts", "ssl") else 1883, timeout,
                      ("mqtts", "ssl")) as sock:
            sock.sendall(bytes([0x10]) + _mqtt_length(len(body)) + body)
            answer = sock.recv(4)
            if len(answer) < 4 or answer[0] != 0x20:
                raise ConnectionError("the broker did not answer as MQTT")
            if answer[3] != 0:
                raise ConnectionError(f"the broker refused the connection (CONNACK code {answer[3]})")
            sock.sendall(b"\xe0\x00")  # DISCONNECT: a clean goodbye, no last will
    return check


def _mqtt_str(value: bytes) -> bytes:
    return struct.pack(">H", len(value)) + value


def _mqtt_length(length: int) -> bytes:
    out = bytearray()
    while True:
        length, digit = divmod(length, 128)
        out.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(out)


def configured_checks(settings: Settings, engine: Engine) -> dict[str, Check]:
    """The database always; Redis, NATS and MQTT when their URL is set."""
    checks = {"database": database_check(engine)}
    if settings.redis_url:
        checks["redis"] = redis_check(settings.redis_url)
    if settings.nats_url:
        checks["nats"] = nats_check(settings.nats_url)
    if settings.mqtt_url:
        checks["mqtt"] = mqtt_check(settings.mqtt_url)
    return checks


_CHECK_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="bayfin-readyz")
_HANGING: dict[tuple[str, int], Future[None]] = {}
_HANGING_LOCK = threading.Lock()


def run_checks(checks: dict[str, Check], timeout: float) -> list[CheckResult]:
    """Run every check in parallel, each bounded by ``timeout`` seconds. A check still hanging from an
    earlier call is reported down without a second copy being started (probes repeat every few
    seconds; a black-holed database must not pile up threads)."""
    started = time.perf_counter()
    futures: dict[str, Future[None] | None] = {}
    with _HANGING_LOCK:
        for key in [k for k, f in _HANGING.items() if f.done()]:
            del _HANGING[key]
        for name, check in checks.items():
            key = (name, id(check))
            previous = _HANGING.get(key)
            if previous is not None and not previous.done():
                futures[name] = None
                continue
            futures[name] = _HANGING[key] = _CHECK_POOL.submit(check, timeout)
    results = []
    for name, future in futures.items():
        if future is None:
            results.append(CheckResult(name, False, 0.0, "a previous check is still waiting"))
            continue
        try:
            future.result(timeout=max(0.0, timeout - (time.perf_counter() - started)))
        except FutureTimeout:
            results.append(CheckResult(name, False, (time.perf_counter() - started) * 1000, "timed out"))
            continue
        except Exception as exc:
            results.append(CheckResult(name, False, (time.perf_counter() - started) * 1000,
                                       _describe(exc)))
            continue
        results.append(CheckResult(name, True, (time.perf_counter() - started) * 1000))
    return results


def _describe(exc: BaseException) -> str:
    """The failure's kind, with no message: driver messages can carry host names and user names."""
    cause = exc.__cause__ or exc.__context__
    kind = type(exc).__name__
    if cause is not None and type(cause).__name__ != kind:
        kind += f" ({type(cause).__name__})"
    return kind


def readiness_body(results: list[CheckResult]) -> dict[str, Any]:
    """The JSON of a readiness answer: overall status and each check's."""
    down = [r.name for r in results if not r.up]
    return {"status": "not ready" if down else "ready", "down": down,
            "checks": {r.name: r.as_dict() for r in results}}


# -- probe port ------------------------------------------------------------------------------------
@dataclass
class ProbeServer:
    """``/healthz`` (liveness), ``/readyz`` (the process is serving and its dependencies answer) and
    ``/metrics`` on a port of their own, served from a daemon thread so a busy event loop or worker
    thread cannot make a probe time out."""

    checks: dict[str, Check]
    host: str = "127.0.0.1"
    port: int = 0
    timeout: float = 2.0
    metrics_token: str | None = None
    #: False while starting and from the first SIGTERM on, so traffic moves elsewhere during a drain.
    serving: bool = False
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def start(self) -> ProbeServer:
        """Bind (port 0 picks a free one) and serve on a daemon thread."""
        probe = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    self._answer(200, b'{"status":"ok"}', "application/json")
                elif path == "/readyz":
                    results = run_checks(probe.checks, probe.timeout)
                    body = readiness_body(results)
                    if not probe.serving:
                        body["status"], body["serving"] = "not ready", False
                    status = 200 if body["status"] == "ready" else 503
                    self._answer(status, json.dumps(body).encode(), "application/json")
                elif path == "/metrics":
                    if not metrics_authorized(self.headers.get("Authorization"), probe.metrics_token):
                        self._answer(401, b'{"status":"unauthorized"}', "application/json")
                        return
                    payload, content_type = render_metrics()
                    self._answer(200, payload, content_type)
                else:
                    self._answer(404, b'{"status":"not found"}', "application/json")

            def _answer(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        address = self._server.server_address
        self.host, self.port = str(address[0]), int(address[1])
        threading.Thread(target=self._server.serve_forever, name="bayfin-probe", daemon=True).start()
        log.info("probe port listening", extra={"host": self.host, "port": self.port})
        return self

    def close(self) -> None:
        """Stop serving probes."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def probe_server(settings: Settings, checks: dict[str, Check], port: int | None = None) -> ProbeServer | None:
    """A started probe server on ``port`` (else ``BAYFIN_PROBE_PORT``), or None when neither is set."""
    port = settings.probe_port if port is None else port
    if port is None:
        return None
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    return ProbeServer(checks, host=settings.probe_host, port=port, timeout=settings.readiness_timeout,
                       metrics_token=token).start()


# -- graceful stop ---------------------------------------------------------------------------------
def on_stop_signals(stop: Callable[[], None], loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Call ``stop`` on SIGTERM (what Kubernetes, compose and systemd send) and on SIGINT (Ctrl-C)
    instead of dying mid-work, on ``loop`` when given; call from the main thread. A second signal
    stops at once, for the operator who does not want to wait for the drain."""
    def handler(signum: int, _frame: object) -> None:
        log.warning("stop signal received; draining", extra={"signal": signal.Signals(signum).name})
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        if loop is not None:
            loop.call_soon_threadsafe(stop)
        else:
            stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)


# -- traces ----------------------------------------------------------------------------------------
@dataclass
class Tracing:
    """The OpenTelemetry set-up of one process: instruments what it is given, undone by :meth:`shutdown`."""

    provider: Any
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def instrument_engine(self, engine: Engine) -> None:
        """Trace every statement of ``engine``."""
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        instrumentor = SQLAlchemyInstrumentor()
        if instrumentor.is_instrumented_by_opentelemetry:
            return
        # skip_dep_check: the instrumentation declares "sqlalchemy < 2.1" although its engine events
        # work unchanged on 2.1 (the tracing tests check that statements are traced)
        instrumentor.instrument(engine=engine, tracer_provider=self.provider, enable_commenter=False,
                                skip_dep_check=True)
        self._undo.append(instrumentor.uninstrument)

    def shutdown(self) -> None:
        """Flush pending spans and remove the instrumentation."""
        for undo in reversed(self._undo):
            with contextlib.suppress(Exception):
                undo()
        self._undo.clear()
        kernel_logging.set_trace_context(None)
        self.provider.shutdown()


def configure_tracing(settings: Settings, service_name: str, *, app: Any = None, engine: Engine | None = None,
                      exporter: Any = None) -> Tracing | None:
    """Send traces of FastAPI requests, SQL statements, httpx calls and Redis commands to the OTLP
    endpoint of ``BAYFIN_OTLP_ENDPOINT`` (or to ``exporter``, e.g. an in-memory one in tests), and put
    the current trace id in every JSON log line. Without either, returns None having imported nothing."""
    if exporter is None and not settings.otlp_endpoint:
        return None
    # a deployment that asks for traces without the extra is told which one to install, at start-up
    optional_import("opentelemetry.sdk.trace", "tracing")
    optional_import("opentelemetry.instrumentation.sqlalchemy", "tracing")
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = str(settings.otlp_endpoint).rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    tracing = Tracing(provider)
    for instrumentor in (HTTPXClientInstrumentor(), RedisInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)
            tracing._undo.append(instrumentor.uninstrument)
    if app is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider,
                                           excluded_urls="/healthz,/readyz,/metrics")
    if engine is not None:
        tracing.instrument_engine(engine)
    kernel_logging.set_trace_context(_current_trace_ids)
    return tracing


def _current_trace_ids() -> dict[str, str]:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}

