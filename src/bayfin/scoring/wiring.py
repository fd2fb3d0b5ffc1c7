"""Start-up wiring: the scoring service, provided on the platform under :data:`SCORING`."""

from __future__ import annotations

from bayfin.kernel.platform import Platform, ServiceKey
from bayfin.scoring.service import ScoringService

#: The platform's scoring service (its model is read lazily from the data dir's registry).
SCORING = ServiceKey("scoring", ScoringService)


def configure(platform: Platform) -> ScoringService:
    """Provide the scoring service (model read lazily from the data dir's registry) on the platform."""
    return platform.provide(SCORING, ScoringService(platform.settings.data_dir))


def scoring_service(platform: Platform) -> ScoringService:
    """The configured scoring service (built now if start-up wiring has not run)."""
    return platform.service_or(SCORING, lambda: ScoringService(platform.settings.data_dir))
