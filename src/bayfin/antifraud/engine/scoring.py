"""What the engine asks of a model: a :class:`Scorer` turns an event's features into a
:class:`ModelVerdict` whose points join the rule score. The learning side implements it
(``bayfin.antifraud.learning.model.ModelScorer``); the engine never imports learning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ModelVerdict", "Scorer"]


@dataclass(frozen=True)
class ModelVerdict:
    """What the model said about one event."""

    probability: float
    points: int
    top_features: tuple[tuple[str, float], ...]
    version: int | None
    shadow_probability: float | None = None
    shadow_version: int | None = None
    shadow_points: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, shown beside the rule reasons."""
        return {"probability": round(self.probability, 4), "points": self.points, "version": self.version,
                "top_features": [{"feature": n, "contribution": c} for n, c in self.top_features],
                "shadow_probability": None if self.shadow_probability is None
                else round(self.shadow_probability, 4),
                "shadow_version": self.shadow_version, "shadow_points": self.shadow_points}


class Scorer(Protocol):
    """A live model (with an optional shadow) as the engine uses it."""

    @property
    def version(self) -> int | None:
        """The live model's version (None when unversioned)."""

    def score(self, features: dict[str, Any]) -> ModelVerdict:
        """The model's verdict on one event's features (the shadow model scored beside, if any)."""
