"""Training, the model registry (versioned artefacts under the data dir) and scoring with reasons."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import (
    Any,
    NotRequired,  # pydantic reads these (the score API answers with them)
)

import numpy as np
import orjson
import polars as pl
from typing_extensions import TypedDict

from bayfin.kernel.errors import NotFound
from bayfin.scoring.features import (
    CATEGORICAL_FEATURES,
    DESCRIPTIONS,
    NUMERIC_FEATURES,
    is_missing,
    reason_text,
)
from bayfin.scoring.metrics import PSI_WARNING, calibration, score_edges, summary
from bayfin.scoring.scorecard import Column, Scorecard, fit_scorecard


class ScoreReason(TypedDict):
    """A reason code of a score with its plain-language text."""

    code: str
    text: str


class ChallengerView(TypedDict):
    """The LightGBM challenger's probability of default and the features that pushed it up most."""

    pd: float
    reasons: list[ScoreReason]


class FirmScore(TypedDict):
    """One firm's score: points, band, the band's probability of default, reasons, the model version;
    the challenger's view when the model has one and the date scored as of when asked for one."""

    credit_code: str | None
    score: int
    band: str
    pd: float
    reasons: list[ScoreReason]
    model_version: str
    challenger: NotRequired[ChallengerView]
    as_of: NotRequired[str]


BANDS = ("A", "B", "C", "D", "E", "F", "G", "H")


@dataclass
class ScoringModel:
    """A registered model: the scorecard, PD per score band, PSI reference and its metadata."""

    version: str
    scorecard: Scorecard
    band_edges: list[float]  # ascending score cut points between bands (len(BANDS) - 1)
    band_pd: list[float]  # observed, smoothed default rate per band, worst band first
    psi_edges: list[float]
    psi_expected: list[float]  # training score share per PSI bin
    meta: dict[str, Any]
    challenger: Any = None  # a lightgbm Booster, when trained

    def band_of(self, scores: np.ndarray) -> np.ndarray:
        """Band index per score (0 = worst)."""
        return np.searchsorted(np.asarray(self.band_edges), scores, side="right")

    def columns(self, features: pl.DataFrame) -> dict[str, Column]:
        """The card's input columns: numbers as numpy arrays, categories left as polars Series."""
        return {
            v.name: features[v.name] if v.categorical else features[v.name].to_numpy()
            for v in self.scorecard.variables
        }

    def score_frame(self, features: pl.DataFrame, top: int = 3) -> pl.DataFrame:
        """Scores, bands, calibrated PD and adverse reason codes for every row of a feature table."""
        scores, pts = self.scorecard.score_points(self.columns(features))
        band = self.band_of(scores)
        reasons = self.scorecard.reason_indices(pts, top)
        names = pl.Series("reasons", [v.name for v in self.scorecard.variables], dtype=pl.Utf8)
        # One gather of the names by flat index (-1 → null), folded back to a list per row; a row's
        # reasons are a prefix of its slots, so keeping the first `count` drops the nulls cheaply.
        flat = pl.Series(reasons.ravel()).cast(pl.UInt32, strict=False)
        width, n = reasons.shape[1], len(scores)
        if width and n:
            slots = pl.DataFrame(
                {"s": names.gather(flat).reshape((n, width)).arr.to_list(), "n": (reasons >= 0).sum(axis=1)}
            )
            lists = slots.select(pl.col("s").list.head(pl.col("n"))).to_series()
        else:
            lists = pl.Series("reasons", [[] for _ in range(n)], dtype=pl.List(pl.Utf8))
        letters = pl.Series(BANDS[::-1], dtype=pl.Utf8)
        return pl.DataFrame(
            {
                "credit_code": features["credit_code"],
                "score": np.round(scores).astype(np.int64),
                "band": letters.gather(band),
                "pd": np.asarray(self.band_pd)[band],
                "reasons": lists,
            }
        )

    def explain(self, features: pl.DataFrame) -> list[FirmScore]:
        """One result per firm with reason codes in plain language (and the challenger's view)."""
        return [self.explain_one(row) for row in features.iter_rows(named=True)]

    def explain_one(self, values: Mapping[str, Any]) -> FirmScore:
        """Score, band, PD, reasons (and the challenger's view) of one firm from its feature values.

        The online path: plain Python over the compiled bins, no data frame; equal to ``score_frame``.
        """
        score, reasons = self.scorecard.score_one(values)
        band = bisect.bisect_right(self.band_edges, score)
        item: FirmScore = {
            "credit_code": values.get("credit_code"),
            "score": int(np.round(score)),
            "band": BANDS[::-1][band],
            "pd": round(float(self.band_pd[band]), 4),
            "reasons": [{"code": r, "text": reason_text(r, missing=is_missing(values.get(r)))}
                        for r in reasons],
            "model_version": self.version,
        }
        if self.challenger is not None:
            row = challenger_row(values, self.meta["categories"])
            # One thread: for a single row, waking LightGBM's thread pool costs ~20x the work itself.
            contrib = self.challenger.predict(row, pred_contrib=True, num_threads=1)
            item["challenger"] = self._contributions(contrib)[0]
        return item

    def challenger_contributions(self, features: pl.DataFrame, top: int = 3) -> list[ChallengerView]:
        """LightGBM PD and the features that pushed it up most (pred_contrib), per firm."""
        x = challenger_matrix(features, self.meta["categories"])
        return self._contributions(self.challenger.predict(x, pred_contrib=True), top)

    @staticmethod
    def _contributions(raw: np.ndarray, top: int = 3) -> list[ChallengerView]:
        names = list(NUMERIC_FEATURES) + list(CATEGORICAL_FEATURES)
        out: list[ChallengerView] = []
        for row in raw:
            logit = float(row.sum())
            order = np.argsort(-row[:-1])[:top]
            out.append(
                {
                    "pd": round(float(1.0 / (1.0 + np.exp(-logit))), 4),
                    "reasons": [
                        {"code": names[j], "text": DESCRIPTIONS.get(names[j], names[j])}
                        for j in order
                        if row[j] > 0
                    ],
                }
            )
        return out

    def psi(self, features: pl.DataFrame) -> dict[str, Any]:
        """Population stability of a live feature table's scores against training."""
        scores = self.scorecard.score(self.columns(features))
        value = _psi_from_shares(np.asarray(self.psi_expected), scores, np.asarray(self.psi_edges))
        return {"psi": value, "warning": value > PSI_WARNING, "threshold": PSI_WARNING, "n": len(scores)}


def _psi_from_shares(expected_share: np.ndarray, actual: np.ndarray, edges: np.ndarray) -> float:
    a = np.histogram(actual, bins=edges)[0].astype(np.float64)
    a = np.clip(a / max(a.sum(), 1.0), 1e-6, None)
    e = np.clip(expected_share, 1e-6, None)
    return float(np.sum((a - e) * np.log(a / e)))


def challenger_matrix(features: pl.DataFrame, categories: dict[str, list[str]]) -> np.ndarray:
    """Numeric matrix for LightGBM: numbers as is, categories as their index (unknown → NaN)."""
    parts = [features[c].cast(pl.Float64).to_numpy() for c in NUMERIC_FEATURES]
    for c in CATEGORICAL_FEATURES:
        lookup = {v: float(i) for i, v in enumerate(categories[c])}
        parts.append(np.array([lookup.get(v, np.nan) for v in features[c].to_list()], dtype=np.float64))
    return np.column_stack(parts)


def challenger_row(values: Mapping[str, Any], categories: dict[str, list[str]]) -> np.ndarray:
    """One firm's (1, features) LightGBM row from plain values; the same encoding as ``challenger_matrix``."""
    row: list[float] = []
    for c in NUMERIC_FEATURES:
        value = values.get(c)
        row.append(np.nan if value is None or is_missing(value) else float(value))
    for c in CATEGORICAL_FEATURES:
        value = values.get(c)
        row.append(float(categories[c].index(value)) if value in categories[c] else np.nan)
    return np.asarray([row], dtype=np.float64)


def fingerprint(features: pl.DataFrame, y: np.ndarray) -> str:
    """SHA-256 over the training rows and labels, so a model names exactly the data it learnt from."""
    h = hashlib.sha256()
    h.update(features.sort("credit_code").hash_rows(seed=0).to_numpy().tobytes())
    h.update(np.asarray(y, dtype=np.int8).tobytes())
    return h.hexdigest()


def fit_model(
    features: pl.DataFrame, y: np.ndarray, *, seed: int = 7, challenger: bool = True, version: str = "dev"
) -> ScoringModel:
    """Fit the scorecard (and the LightGBM challenger), band PDs and PSI reference on one table."""
    cols: dict[str, Column] = {c: features[c].to_numpy() for c in features.columns if c != "credit_code"}
    card, ivs = fit_scorecard(
        cols, y, NUMERIC_FEATURES, CATEGORICAL_FEATURES, c=0.5, min_iv=0.01, min_bin_size=0.01
    )
    scores, _ = card.score_points(cols)
    inner = np.quantile(scores, np.linspace(0, 1, len(BANDS) + 1)[1:-1])
    edges = np.unique(inner)
    band = np.searchsorted(edges, scores, side="right")
    prior = float(np.mean(y))
    # Band PD: observed default rate, shrunk towards the mean by a pseudo-count so empty bands stay sane.
    band_pd = [
        float((y[band == b].sum() + 5 * prior) / ((band == b).sum() + 5)) for b in range(len(edges) + 1)
    ]
    psi_edges = score_edges(scores)
    expected = np.histogram(scores, bins=psi_edges)[0] / len(scores)
    categories = {c: sorted(set(features[c].to_list())) for c in CATEGORICAL_FEATURES}
    booster = _fit_challenger(challenger_matrix(features, categories), y, seed) if challenger else None
    meta = {
        "fingerprint": fingerprint(features, y),
        "rows": features.height,
        "defaults": int(y.sum()),
        "features": list(NUMERIC_FEATURES + CATEGORICAL_FEATURES),
        "kept": [v.name for v in card.variables],
        "information_value": ivs,
        "categories": categories,
        "seed": seed,
        "created_at": datetime.now(UTC).isoformat(),
    }
    return ScoringModel(
        version, card, [float(e) for e in edges], band_pd, [float(e) for e in psi_edges],
        [float(e) for e in expected], meta, booster,
    )  # fmt: skip


def _fit_challenger(x: np.ndarray, y: np.ndarray, seed: int) -> Any:
    import lightgbm as lgb

    params = {
        "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 50,
        "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 5.0,
        "seed": seed, "deterministic": True, "num_threads": 2, "verbose": -1,
    }  # fmt: skip
    n_num = len(NUMERIC_FEATURES)
    data = lgb.Dataset(x, y, categorical_feature=list(range(n_num, x.shape[1])), free_raw_data=False)
    return lgb.train(params, data, num_boost_round=300)


def evaluate(model: ScoringModel, features: pl.DataFrame, y: np.ndarray) -> dict[str, Any]:
    """AUC/KS/Gini of the scorecard (and the challenger) and band calibration on a labelled table."""
    frame = model.score_frame(features)
    scores = frame["score"].to_numpy().astype(np.float64)
    pd_ = frame["pd"].to_numpy()
    out: dict[str, Any] = {"scorecard": summary(y, -scores), "calibration": calibration(y, pd_, bands=8)}
    out["scorecard"]["brier"] = float(np.mean((pd_ - y) ** 2))
    if model.challenger is not None:
        p = model.challenger.predict(challenger_matrix(features, model.meta["categories"]))
        out["challenger"] = summary(y, p)
        out["challenger"]["brier"] = float(np.mean((p - y) ** 2))
    return out


# --- registry -------------------------------------------------------------------------------------


def registry_dir(data_dir: Path) -> Path:
    """Where versioned scoring models live."""
    return data_dir / "models" / "scoring"


def save(model: ScoringModel, data_dir: Path) -> Path:
    """Write the model as the next version (v1, v2, …); returns its folder."""
    root = registry_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    taken = [int(p.name[1:]) for p in root.glob("v*") if p.name[1:].isdigit()]
    model.version = f"v{max(taken, default=0) + 1}"
    folder = root / model.version
    folder.mkdir()
    doc = {
        "version": model.version,
        "scorecard": model.scorecard.to_dict(),
        "band_edges": model.band_edges,
        "band_pd": model.band_pd,
        "psi_edges": [e if np.isfinite(e) else None for e in model.psi_edges],
        "psi_expected": model.psi_expected,
        "meta": model.meta,
    }
    (folder / "model.json").write_bytes(
        orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
    )
    if model.challenger is not None:
        model.challenger.save_model(str(folder / "challenger.txt"))
    return folder


def load(data_dir: Path, version: str | None = None) -> ScoringModel:
    """A registered model (the latest when ``version`` is None); NotFound when there is none."""
    root = registry_dir(data_dir)
    versions = sorted((int(p.name[1:]) for p in root.glob("v*") if p.name[1:].isdigit()), reverse=True)
    if not versions:
        raise NotFound("no scoring model is registered; run `bayfin scoring train`")
    name = version or f"v{versions[0]}"
    folder = root / name
    if not (folder / "model.json").is_file():
        raise NotFound(f"scoring model {name} is not registered")
    doc = orjson.loads((folder / "model.json").read_bytes())
    edges = [
        -np.inf if i == 0 and e is None else np.inf if e is None else e
        for i, e in enumerate(doc["psi_edges"])
    ]
    booster = None
    if (folder / "challenger.txt").is_file():
        import lightgbm as lgb

        booster = lgb.Booster(model_file=str(folder / "challenger.txt"))
    return ScoringModel(
        doc["version"], Scorecard.from_dict(doc["scorecard"]), doc["band_edges"], doc["band_pd"], edges,
        doc["psi_expected"], doc["meta"], booster,
    )  # fmt: skip


def update_metrics(data_dir: Path, version: str, metrics: dict[str, Any]) -> None:
    """Record evaluation metrics in a registered model's metadata."""
    path = registry_dir(data_dir) / version / "model.json"
    doc = orjson.loads(path.read_bytes())
    doc["meta"]["metrics"] = metrics
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
