"""A real bayfin server for the console's browser tests: a migrated SQLite database with a small
generated region ingested (hub, risk deliveries, a simulated anti-fraud stream, the financing
marketplace), the identity demo directory, one console user per role, a fitted scorecard, and
uvicorn on a free port."""

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
from bayfin.bootstrap import build_platform
from bayfin.creditdata.workflows import ingest_directory
from bayfin.financing.demo import seed_demo as seed_financing
from bayfin.identity.demo import seed_demo as seed_identity
from bayfin.kernel.db import make_engine
from bayfin.kernel.platform import Platform
from bayfin.kernel.settings import Settings
from bayfin.riskmonitor.demo import seed_demo as seed_risk
from bayfin.scoring import SCORING
from bayfin.scoring import model as scoring_model
from bayfin.scoring.service import ScoringService
from bayfin.simulation.creditdata.generate import generate_region
from bayfin.terminals.wiring import terminals_service
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


def _terminal_sites(platform: Platform) -> None:
    """Two Zhuhai sites and a registered terminal (the terminals module has no demo seeder)."""
    service = terminals_service(platform)
    hours = {str(day): [["08:00", "22:00"]] for day in range(1, 8)}
    now = platform.clock.now()
    with platform.unit_of_work() as uow:
        service.create_site(uow.session, code="PH-GONGBEI", name="Gongbei pharmacy", kind="pharmacy",
                            licence="YP-440402-1", lat=22.2220, lon=113.5440, geofence_m=150,
                            opening_hours=hours, now=now)
        service.create_site(uow.session, code="HO-XIANGZHOU", name="Xiangzhou hospital", kind="hospital",
                            licence="YL-440402-9", lat=22.2710, lon=113.5670, geofence_m=300,
                            opening_hours=hours, now=now)
        service.create_profile(uow.session, "icbc-zh", "ICBC", now)
        service.register_terminal(uow.session, serial="SN-E2E-0001", model="PAX-A920", firmware="1.0.0",
                                  site_code="PH-GONGBEI", bank_id="ICBC", profile_key="icbc-zh")
        uow.commit()


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
    platform.provide(SCORING, ScoringService(workdir))
    seed_identity(platform, workdir, 7)
    seed_financing(platform, region, 7)
    _terminal_sites(platform)
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
