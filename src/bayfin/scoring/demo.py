"""What ``bayfin demo run`` loads for scoring: a scorecard trained on the demo region's ground truth,
so that the demo's credit reports, score API and marketplace matches carry a score from the start."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from bayfin.kernel.errors import NotFound
from bayfin.kernel.platform import Platform
from bayfin.scoring import model as registry
from bayfin.scoring.service import train_and_register
from bayfin.scoring.wiring import SCORING

log = logging.getLogger(__name__)

# The demo region's deliveries run from 2023 into 2024 and its defaults are dated by month: features as
# of this date with a 12-month horizon give a labelled year (the same default as `bayfin scoring train`).
TRAIN_AS_OF = date(2023, 8, 1)


def seed_demo(platform: Platform, workdir: Path, seed: int) -> dict[str, Any]:
    """Train and register the demo's scoring model once (a re-run keeps the registered one)."""
    try:
        existing = registry.load(platform.settings.data_dir)
        return {"trained": False, "version": existing.version}
    except NotFound:
        pass
    truth = workdir / "ground_truth" / "enterprises.csv"
    if not truth.is_file():
        return {"trained": False, "reason": f"no ground truth at {truth}"}
    with platform.session_factory() as session:
        try:
            fitted, _ = train_and_register(session, platform.settings.data_dir, truth, TRAIN_AS_OF, seed=seed)
        except ValueError as exc:  # a tiny region may hold no default to learn from; the demo goes on
            log.warning("demo scoring model not trained: %s", exc)
            return {"trained": False, "reason": str(exc)}
    if platform.has_service(SCORING):
        platform.service(SCORING).reload()
    log.info("demo scoring model %s trained on %s firms", fitted.version, fitted.meta["rows"])
    return {"trained": True, "version": fitted.version, "rows": fitted.meta["rows"],
            "defaults": fitted.meta["defaults"]}
