"""What every long-running process started from the CLI (fraud worker, terminals ingest, ISO 8583
switch) shares: logs like the API's, traces when configured, a probe port, a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bayfin.cli.output import err_console
from bayfin.kernel.logging import configure_logging
from bayfin.kernel.observability import (
    Check,
    ProbeServer,
    configure_tracing,
    on_stop_signals,
    prepare_multiprocess_metrics,
    probe_server,
)
from bayfin.kernel.platform import Platform

if TYPE_CHECKING:
    from bayfin.bootstrap import SectionOverrides

__all__ = ["ProbePortOption", "on_stop_signals", "run_api", "serving"]

ProbePortOption = typer.Option(
    None, "--probe-port", help="Port of /healthz, /readyz and /metrics (default BAYFIN_PROBE_PORT; "
                               "unset: no probe port; 0: a free one, printed).")


@contextmanager
def serving(platform: Platform, service_name: str, checks: dict[str, Check],
            probe_port: int | None) -> Iterator[ProbeServer | None]:
    """Run a service process: JSON logs at the configured level, traces to BAYFIN_OTLP_ENDPOINT when set,
    and the probe port (readiness: ``checks`` plus the process's own ``serving`` flag, which the caller
    sets once it serves and clears when it starts draining)."""
    settings = platform.settings
    configure_logging(settings.log_level, settings.log_json)
    tracing = configure_tracing(settings, service_name, engine=platform.engine)
    probe = probe_server(settings, checks, probe_port)
    if probe is not None:
        err_console.print(f"{service_name} probes on http://{probe.host}:{probe.port} "
                          "(/healthz /readyz /metrics)", soft_wrap=True)
    try:
        yield probe
    finally:
        if probe is not None:
            probe.close()
        if tracing is not None:
            tracing.shutdown()


def run_api(host: str, port: int, workers: int, data_dir: Path,
            overrides: SectionOverrides | None = None) -> None:
    """Serve ``bayfin.api.main:app`` with uvicorn until SIGTERM or Ctrl-C, which drain (no new
    connections, requests in progress answered) and then exit 0; several workers share /metrics.

    ``overrides`` replace fields of module settings sections for this server (``bayfin fraud serve``
    records decisions in batches). uvicorn's workers are fresh interpreters that import the app by
    name and read their settings from the environment they start with, so the overrides travel as the
    sections' own variables, built and validated by ``bootstrap.worker_environment``; they are put
    into this process's environment just before the server starts, the one channel every worker
    (and, with one worker, the app imported here) reads.
    """
    import uvicorn

    if overrides:
        from bayfin.bootstrap import worker_environment

        for name, value in worker_environment(overrides).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    prepare_multiprocess_metrics(workers, data_dir)
    # After its drain uvicorn raises the signal again at whatever handler it found installed; with
    # the default one a clean stop would end as "killed by SIGTERM" (exit 143). Found a no-op, the
    # process returns from run() and exits 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    uvicorn.run("bayfin.api.main:app", host=host, port=port, workers=workers, log_level="warning",
                access_log=False)
