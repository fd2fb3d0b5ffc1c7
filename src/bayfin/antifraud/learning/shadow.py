"""The shadow model in the running engine: loaded beside the live model, reloaded when the registry
changes, scored on every event without deciding, and compared with the live model.

The registry's ``state.json`` names the live and the shadow version; a ``ModelWatcher`` thread reads
it every few seconds and swaps a new ``ModelScorer`` into the engine when it changes (one attribute
assignment: a decision in flight keeps the scorer it started with). Each decision records both
probabilities, points and the outcome the shadow model would have produced; ``shadow_report``
compares them, and measures both on the outcomes analysts gave the cases (the labels).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from bayfin.antifraud.cases import repository as cases_repository
from bayfin.antifraud.decisions import repository
from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.ruleset import Outcome
from bayfin.antifraud.learning.model import ModelRegistry, average_precision, roc_auc
from bayfin.kernel.tenancy import TenantScope

__all__ = ["ModelWatcher", "shadow_report"]

log = logging.getLogger(__name__)


class ModelWatcher:
    """Keeps the engine's live and shadow models in step with the registry."""

    def __init__(self, registry: ModelRegistry, engine: DecisionEngine, reload_seconds: float = 5.0) -> None:
        self.registry = registry
        self.engine = engine
        self.reload_seconds = reload_seconds
        self.loaded: dict[str, int | None] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Load the registry's live/shadow versions if they changed; True when the engine's model changed."""
        state = self.registry.state()
        if state == self.loaded:
            return False
        self.engine.model = self.registry.scorer()  # loaded first, then swapped in as one assignment
        self.loaded = state
        log.info("fraud models loaded", extra={"live": state["live"], "shadow": state["shadow"]})
        return True

    def promote_shadow(self) -> int:
        """Make the shadow version live, and load it at once; returns its number."""
        shadow = self.registry.state()["shadow"]
        if shadow is None:
            raise LookupError("no shadow model to promote")
        self.registry.promote(shadow)
        self.check()
        return shadow

    def start(self) -> None:
        """Load now, then watch the registry on a daemon thread."""
        self.check()
        if self.reload_seconds > 0:
            self._thread = threading.Thread(target=self._run, name="fraud-model-watcher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.reload_seconds):
            try:
                self.check()
            except Exception:  # a half-written or unreadable model must not stop the engine
                log.exception("fraud model reload failed; the loaded models are unchanged")

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()


def _metric(fn: Callable[[np.ndarray, np.ndarray], float], y: np.ndarray, s: np.ndarray) -> float | None:
    if len(y) == 0 or y.min() == y.max():
        return None  # needs both confirmed and released cases
    return round(fn(y, s), 4)


def _flag_precision(y: np.ndarray, outcomes: list[str]) -> float | None:
    flagged = np.array([Outcome[o] >= Outcome.REVIEW for o in outcomes], dtype=bool)
    return round(float(y[flagged].mean()), 4) if flagged.any() else None


def shadow_report(session: Session, *, scope: TenantScope, since: datetime | None = None,
                  limit: int = 200_000, disagreement: float = 0.5) -> dict[str, Any]:
    """Live against shadow on recent decisions: agreement, decision changes, and AUC/AP on case outcomes."""
    recent = repository.scored_decisions(session, since=since, scope=scope, limit=limit)
    rows = [(e, o, d["shadow"], d["model"]) for e, o, d in recent if d.get("shadow") and d.get("model")]
    report: dict[str, Any] = {"decisions": len(rows)}
    if not rows:
        return {**report, "note": "no decision carries a shadow score: is a shadow model set?"}
    live_p = np.array([m["probability"] for _e, _o, _s, m in rows])
    shadow_p = np.array([s["probability"] for _e, _o, s, _m in rows])
    changes = Counter(f"{o}->{s['outcome']}" for _e, o, s, _m in rows if s["outcome"] != o)
    agree = sum(1 for _e, o, s, _m in rows if s["outcome"] == o)
    report.update(
        live_versions=sorted({m["version"] for *_x, m in rows}),
        shadow_versions=sorted({s["version"] for _e, _o, s, _m in rows}),
        outcome_agreement=round(agree / len(rows), 4),
        mean_abs_probability_difference=round(float(np.abs(live_p - shadow_p).mean()), 4),
        disagreements_over_threshold=int((np.abs(live_p - shadow_p) >= disagreement).sum()),
        decision_changes=dict(sorted(changes.items())),
        flagged={"live": sum(1 for _e, o, _s, _m in rows if Outcome[o] >= Outcome.REVIEW),
                 "shadow": sum(1 for _e, _o, s, _m in rows if Outcome[s["outcome"]] >= Outcome.REVIEW)})
    labels = cases_repository.case_outcomes(session, [e for e, *_rest in rows])
    index = [i for i, (e, *_rest) in enumerate(rows) if e in labels]
    y = np.array([labels[rows[i][0]] for i in index], dtype=np.int8)
    lp, sp = live_p[index], shadow_p[index]
    labelled: dict[str, Any] = {"cases": len(index), "confirmed": int(y.sum())}
    for name, p, outcomes in (("live", lp, [rows[i][1] for i in index]),
                              ("shadow", sp, [rows[i][2]["outcome"] for i in index])):
        labelled[name] = {"auc": _metric(roc_auc, y, p),
                          "average_precision": _metric(average_precision, y, p),
                          "flag_precision": _flag_precision(y, outcomes)}
    report["labelled"] = labelled
    live_ap, shadow_ap = labelled["live"]["average_precision"], labelled["shadow"]["average_precision"]
    report["shadow_better_on_labels"] = None if live_ap is None or shadow_ap is None else shadow_ap > live_ap
    return report
