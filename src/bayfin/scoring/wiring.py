"""Start-up wiring: the scoring service on ``platform.extensions["scoring"]``."""

from __future__ import annotations

from bayfin.kernel.platform import Platform
from bayfin.scoring.service import ScoringService


def configure(platform: Platform) -> None:
    """Hang the scoring service (model read lazily from the data dir's registry) on the platform."""
    platform.extensions["scoring"] = ScoringService(platform.settings.data_dir)
