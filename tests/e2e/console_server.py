"""A real bayfin server for the console's browser tests: a migrated SQLite database with a small
generated region ingested (hub, risk deliveries, a simulated anti-fraud stream), the identity demo
directory, one console user per role, a fitted scorecard, and uvicorn on a free port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from bayfin import migrations
from bayfin.antifraud.demo import seed_demo as seed_fraud
from bayfin.api.app import create_app
from bayfin.creditdata.workflows import ingest_directory
from bayfin.demo.generate import generate_region
from bayfin.identity.demo import seed_demo as seed_identity
from bayfin.kernel.db import make_engine
from bayfin.kernel.platform import Platform, build_platform
from bayfin.kernel.settings import Settings
from bayfin.riskmonitor.demo import seed_demo as seed_risk
from bayfin.scoring import model as scoring_model
from bayfin.scoring.service import ScoringService
from bayfin.web.demo import demo_firm, seed_console_users
from tests.unit.scoring.test_scorecard import synthetic

PASSWORD = "console e2e 42!"


@dataclass
class ConsoleServer:
    """What a browser test needs: the address, the platform (to query the database) and the firm."""

    base: str
    platform: Platform
    firm_code: str
    firm_name: str
    password: str = PASSWORD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def console_server(workdir: Path, enterprises: int = 60) -> Iterator[ConsoleServer]:
    """Set everything up, serve, and tear down."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{workdir / 'console.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = Settings(environment="test", data_dir=workdir, database_url=url, issuer=base,
                        audit_key="console-e2e-audit-key-0123456789abcdef", log_level="WARNING",
                        # tokens this short make the console refresh them (with rotation) on almost
                        # every page after the first second, so the flows exercise the refresh path
                        access_token_ttl_seconds=31)
    platform = build_platform(settings)
    region = workdir / "region"
    generate_region(region, enterprises, 7, defect_rate=0.03)
    ingest_directory(platform, region)
    seed_risk(platform, region, 7)
    seed_fraud(platform, region, 7)
    # a scorecard fitted on synthetic features (as the scoring API tests do), so reports carry scores
    features, defaulted = synthetic(1200)
    scoring_model.save(scoring_model.fit_model(features, defaulted, challenger=False), workdir)
    platform.extensions["scoring"] = ScoringService(workdir)
    seed_identity(platform, workdir, 7)
    firm = demo_firm(platform)
    assert firm is not None, "the generated region has no registered firm"
    seed_console_users(platform, firm[0], firm[1], PASSWORD)
    config = uvicorn.Config(create_app(platform=platform), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield ConsoleServer(base=base, platform=platform, firm_code=firm[0], firm_name=firm[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        platform.dispose()
