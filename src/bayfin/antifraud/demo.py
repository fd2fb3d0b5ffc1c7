"""Demo data: a small simulated bank stream replayed through the engine, decisions recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bayfin.antifraud.decisions import repository
from bayfin.antifraud.decisions.service import decision_row
from bayfin.antifraud.learning.replay import replay
from bayfin.antifraud.wiring import fraud_service
from bayfin.kernel.platform import Platform
from bayfin.simulation.antifraud.simulator import simulate


def seed_demo(platform: Platform, workdir: Path, seed: int) -> dict[str, Any]:
    """Simulate 300 customers over two days with extra fraud, decide every event, record the decisions."""
    out = workdir / "antifraud-simulation"
    summary = simulate(out, customers=300, days=2, seed=seed, fraud_rate=20)
    engine = fraud_service(platform).engine
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    report = replay(out, engine, on_decision=lambda d: rows.append(decision_row(d, "demo-bank", now)))
    with platform.unit_of_work() as uow:
        for start in range(0, len(rows), 1000):
            repository.insert_decisions(uow.session, rows[start:start + 1000])
        uow.commit()
    return {"events": summary["events"], "decisions": report.events, "fraud_caught": report.caught,
            "labelled_fraud": report.labelled_fraud}
