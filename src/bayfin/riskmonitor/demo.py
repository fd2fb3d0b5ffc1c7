"""What ``bayfin demo run`` loads for risk monitoring: the risk deliveries over the demo region, ingested."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from bayfin.kernel.platform import Platform
from bayfin.riskmonitor.workflows import RISK_MANIFEST, ingest_risk_directory
from bayfin.simulation.riskmonitor import generate_risk_region


def seed_demo(platform: Platform, workdir: Path, seed: int) -> dict[str, Any]:
    """Write the risk deliveries once (same population as the hub's) and ingest them (idempotent)."""
    manifest_path = workdir / "manifest.json"
    enterprises = 2000
    if manifest_path.exists():
        enterprises = int(orjson.loads(manifest_path.read_bytes())["enterprises"])
    if not (workdir / RISK_MANIFEST).exists():
        generate_risk_region(workdir, enterprises, seed)
    reports = ingest_risk_directory(platform, workdir)
    return {"files": len(reports), "stored": sum(r.stored for r in reports)}
