"""Credit scoring for thin-file firms: hub features, a PDO scorecard, a LightGBM challenger, a registry.

Other modules use this surface only: :data:`SCORING`, the typed key of the platform's
:class:`ScoringService` (a firm's score, band, PD and reasons as of a date: a :class:`FirmScore`), and
:func:`scoring_service`, which gives the configured service (built on first use when start-up wiring
has not run). Names resolve lazily, so importing the package loads no model library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.scoring.model import ChallengerView, FirmScore, ScoreReason
    from bayfin.scoring.service import ScoringService
    from bayfin.scoring.wiring import SCORING, scoring_service

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("SCORING", "scoring_service"), ".wiring"),
    "ScoringService": ".service",
    **dict.fromkeys(("ChallengerView", "FirmScore", "ScoreReason"), ".model"),
}

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)

__all__ = ["SCORING", "ChallengerView", "FirmScore", "ScoreReason", "ScoringService", "scoring_service"]
