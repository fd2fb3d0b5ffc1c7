"""Scoring one enterprise or many from the hub with the registered model."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from bayfin.creditdata import enterprise_record
from bayfin.kernel.errors import NotFound
from bayfin.scoring import model as registry
from bayfin.scoring.features import compute_features, facts_from_record, features_as_of, features_of_record
from bayfin.scoring.model import FirmScore, ScoringModel


class ScoringService:
    """Holds the registered model (loaded once, reloaded on demand) and scores firms with it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._model: ScoringModel | None = None
        self._lock = threading.Lock()

    def model(self, version: str | None = None) -> ScoringModel:
        """The latest registered model (cached) or a named version."""
        if version is not None:
            return registry.load(self.data_dir, version)
        with self._lock:
            if self._model is None:
                self._model = registry.load(self.data_dir)
            return self._model

    def reload(self) -> None:
        """Forget the cached model so the next call reads the registry again."""
        with self._lock:
            self._model = None

    def features_of(self, session: Session, credit_code: str, as_of: date) -> pl.DataFrame:
        """One firm's feature row from its point-in-time hub record (NotFound if the hub has none)."""
        record = enterprise_record(session, credit_code, as_of)
        return compute_features(facts_from_record(record), as_of)

    def feature_values(self, session: Session, credit_code: str, as_of: date) -> dict[str, Any]:
        """One firm's feature values as a plain mapping (the online path: no data frames)."""
        record = enterprise_record(session, credit_code, as_of)
        values = features_of_record(record, as_of)
        if values is None:
            raise NotFound(f"the hub holds no registration in force for {record['credit_code']} on {as_of}")
        return values

    def score(
        self, session: Session, credit_code: str, as_of: date, version: str | None = None
    ) -> FirmScore:
        """Score, band, PD and plain-language reasons of one firm as of a date."""
        values = self.feature_values(session, credit_code, as_of)
        result = self.model(version).explain_one(values)
        result["as_of"] = as_of.isoformat()
        return result

    def score_all(self, session: Session, as_of: date) -> pl.DataFrame:
        """Scores of every firm the hub knows on ``as_of`` (bulk features, vectorised scoring)."""
        return self.model().score_frame(features_as_of(session, as_of))


def train_and_register(
    session: Session, data_dir: Path, truth_csv: Path, as_of: date, *,
    horizon_months: int = 12, seed: int = 7, test_share: float = 0.3,
) -> tuple[ScoringModel, Path]:
    """Fit the scorecard and challenger on the firms not held out (features as of ``as_of``, defaults in
    the following ``horizon_months`` from ``truth_csv``) and register the next version."""
    from bayfin.scoring.labels import held_out, labelled

    table, y = labelled(features_as_of(session, as_of), truth_csv, as_of, horizon_months)
    train_mask = ~held_out(table["credit_code"], test_share, seed)
    fitted = registry.fit_model(table.filter(train_mask), y[train_mask], seed=seed)
    fitted.meta.update(
        {"as_of": as_of.isoformat(), "horizon_months": horizon_months, "test_share": test_share}
    )
    return fitted, registry.save(fitted, data_dir)
