"""Learning from outcomes: LightGBM training with prequential validation, the field's metrics, a
compiled single-event scorer with per-feature contributions, and a versioned model registry.

Prequential validation (as in Le Borgne et al., chapter 5): train on ``train_days`` days, leave a
``delay_days`` gap because chargebacks arrive late (labels of the most recent days are not known
yet at training time), test on the next ``test_days`` days, then slide the window forward by
``test_days`` and repeat.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bayfin.antifraud.engine.scoring import ModelVerdict

__all__ = ["MODEL_BANDS", "CompiledModel", "FoldResult", "ModelRegistry", "ModelScorer", "ModelVerdict",
           "average_precision", "card_precision_at_k", "known_compromised",
           "prequential", "roc_auc", "select_params", "train_model"]

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 50,
    "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1, "verbose": -1,
    "num_threads": 1, "seed": 0,
}

# candidates for ``select_params``: the defaults, then smaller and more regularised trees
PARAM_GRID: tuple[dict[str, Any], ...] = (
    {},
    {"num_leaves": 15, "min_data_in_leaf": 100},
    {"num_leaves": 15, "min_data_in_leaf": 100, "feature_fraction": 0.5},
    {"num_leaves": 7, "min_data_in_leaf": 100, "feature_fraction": 0.5},
    {"num_leaves": 31, "min_data_in_leaf": 200, "feature_fraction": 0.5, "lambda_l2": 10.0},
)


# ---------------------------------------------------------------- metrics (numpy, no sklearn needed)

def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (ties counted half), via the rank-sum statistic."""
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    s = np.asarray(score)[order]
    ranks = np.empty(len(s), dtype=np.float64)
    # average ranks over ties
    _, first, counts = np.unique(s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision (area under precision–recall, step-wise as scikit-learn computes it)."""
    y = np.asarray(y).astype(bool)
    if not y.any():
        return float("nan")
    order = np.argsort(-np.asarray(score), kind="mergesort")
    s, t = np.asarray(score)[order], y[order]
    # thresholds at distinct scores: cumulative counts at the last index of each score block
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    tp = np.cumsum(t)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / t.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def card_precision_at_k(day: np.ndarray, card: np.ndarray, y: np.ndarray, score: np.ndarray,
                        k: int = 100, *, remove_detected: bool = True) -> float:
    """Mean over days of the share of fraudulent cards among the day's ``k`` riskiest cards.

    A card's daily risk is its highest transaction score that day, and it is fraudulent that day if
    any of its transactions is. As in the handbook (chapter 4.2, ``card_precision_top_k``), a card
    found fraudulent in an earlier day's top ``k`` is already blocked, so it is left out of the
    following days (``remove_detected=False`` counts it again every day).
    """
    import polars as pl

    frame = pl.DataFrame({"day": day, "card": card, "y": np.asarray(y).astype(np.int8), "s": score})
    per_card = frame.group_by(["day", "card"]).agg(pl.col("s").max(), pl.col("y").max())
    detected = per_card["card"].head(0)
    daily: list[float] = []
    for (_day,), today in sorted(per_card.partition_by("day", as_dict=True).items()):
        if remove_detected and detected.len():
            today = today.filter(~pl.col("card").is_in(detected.implode()))
        # ties (many rows share a rule score) are broken by card, so the figure is reproducible
        found = (today.sort(["s", "card"], descending=[True, False]).head(k)
                 .filter(pl.col("y") == 1)["card"])
        daily.append(found.len() / k)
        detected = detected.append(found)
    return float(np.mean(daily)) if daily else float("nan")


def known_compromised(day: np.ndarray, card: np.ndarray, y: np.ndarray, *, since_day: int,
                      delay_days: int) -> np.ndarray:
    """Rows whose card was already known to be compromised on the row's day.

    A fraud on a card becomes known ``delay_days`` after it happened (chargebacks arrive late), so a
    row of day ``d`` is known-compromised when its card has a fraud on a day in
    ``[since_day, d - delay_days)``. The handbook removes these rows from its test sets (chapter 3.4,
    ``get_train_test_set``): a bank has blocked those cards already, and scoring them would credit a
    model for frauds that were caught before."""
    import polars as pl

    frame = pl.DataFrame({"card": card, "day": np.asarray(day, dtype=np.int64),
                          "y": np.asarray(y).astype(np.int8)})
    first = (frame.lazy().filter((pl.col("y") == 1) & (pl.col("day") >= since_day))
             .group_by("card").agg(pl.col("day").min().alias("_first")))
    joined = frame.lazy().join(first, on="card", how="left", maintain_order="left").collect()
    return (joined["_first"] < joined["day"] - delay_days).fill_null(False).to_numpy()


# ---------------------------------------------------------------- the compiled scorer

@dataclass
class CompiledModel:
    """A LightGBM model flattened into numpy arrays: one event is scored by walking each tree in
    Python over plain lists, much faster than ``Booster.predict`` on a single row, and the walk also
    yields per-feature contributions (Saabas attribution along the decision path)."""

    feature_names: list[str]
    # per node arrays over all trees; a leaf has feature == -1 and its value in ``value``
    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    default_left: list[bool]
    value: list[float]
    roots: list[int]
    init: float = 0.0
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_booster(cls, booster: Any) -> CompiledModel:
        """Flatten a trained ``lightgbm.Booster`` (numeric splits only)."""
        dump = booster.dump_model()
        model = cls(list(dump["feature_names"]), [], [], [], [], [], [], [])
        for tree in dump["tree_info"]:
            model.roots.append(model._add(tree["tree_structure"]))
        return model

    def _add(self, node: dict[str, Any]) -> int:
        index = len(self.feature)
        self.feature.append(-1)
        self.threshold.append(0.0)
        self.left.append(-1)
        self.right.append(-1)
        self.default_left.append(True)
        # an inner node's value is its internal (expected) output: used for the contributions
        self.value.append(float(node.get("leaf_value", node.get("internal_value", 0.0))))
        if "split_index" in node:
            if node.get("decision_type", "<=") != "<=":
                raise ValueError("only numeric splits can be compiled")
            self.feature[index] = int(node["split_feature"])
            self.threshold[index] = float(node["threshold"])
            self.default_left[index] = bool(node.get("default_left", True))
            self.left[index] = self._add(node["left_child"])
            self.right[index] = self._add(node["right_child"])
        return index

    def _row(self, features: dict[str, Any] | Sequence[float | None]) -> list[float]:
        if isinstance(features, dict):
            row = []
            for name in self.feature_names:
                v = features.get(name)
                row.append(math.nan if v is None else float(v))
            return row
        return [math.nan if v is None else float(v) for v in features]

    def _walk(self, row: list[float], contrib: list[float] | None) -> float:
        feature, threshold, left, right = self.feature, self.threshold, self.left, self.right
        default_left, value = self.default_left, self.value
        total = 0.0
        for node in self.roots:
            f = feature[node]
            while f >= 0:
                x = row[f]
                nxt = (left[node] if default_left[node] else right[node]) if x != x else (
                    left[node] if x <= threshold[node] else right[node])
                if contrib is not None:
                    contrib[f] += value[nxt] - value[node]
                node = nxt
                f = feature[node]
            total += value[node]
        return total

    def raw(self, features: dict[str, Any] | Sequence[float | None]) -> float:
        """The model's raw margin (log-odds) for one event."""
        return self._walk(self._row(features), None)

    def predict(self, features: dict[str, Any] | Sequence[float | None]) -> float:
        """Fraud probability for one event."""
        return 1.0 / (1.0 + math.exp(-self.raw(features)))

    def explain(self, features: dict[str, Any] | Sequence[float | None],
                top: int = 3) -> tuple[float, list[tuple[str, float]]]:
        """Probability and the ``top`` features that pushed the score up most (log-odds each)."""
        contrib = [0.0] * len(self.feature_names)
        margin = self._walk(self._row(features), contrib)
        ranked = sorted(((n, c) for n, c in zip(self.feature_names, contrib, strict=True) if c > 0),
                        key=lambda nc: -nc[1])[:top]
        return 1.0 / (1.0 + math.exp(-margin)), [(n, round(c, 4)) for n, c in ranked]


# ---------------------------------------------------------------- training and prequential evaluation

def train_model(x: np.ndarray, y: np.ndarray, feature_names: list[str], *, rounds: int = 200,
                params: dict[str, Any] | None = None) -> Any:
    """Train a LightGBM booster on the given rows."""
    import lightgbm as lgb

    data = lgb.Dataset(x, label=y, feature_name=feature_names, free_raw_data=True)
    return lgb.train({**DEFAULT_PARAMS, **(params or {})}, data, num_boost_round=rounds)


@dataclass
class FoldResult:
    """One prequential fold: the days it trained and tested on and the metrics on the test block."""

    train_days: tuple[int, int]
    test_days: tuple[int, int]
    rows_train: int
    rows_test: int
    auc: float
    average_precision: float
    card_precision_at_100: float | None
    known_excluded: int = 0  # test rows of cards already known to be compromised, left out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {"train_days": list(self.train_days), "test_days": list(self.test_days),
                "rows_train": self.rows_train, "rows_test": self.rows_test,
                "known_excluded": self.known_excluded, "auc": round(self.auc, 4),
                "average_precision": round(self.average_precision, 4),
                "card_precision_at_100": None if self.card_precision_at_100 is None
                else round(self.card_precision_at_100, 4)}


def prequential(x: np.ndarray, y: np.ndarray, day: np.ndarray, feature_names: list[str], *,
                card: np.ndarray | None = None, start_day: int = 0, train_days: int = 7,
                delay_days: int = 7, test_days: int = 7, folds: int = 4, rounds: int = 200,
                params: dict[str, Any] | None = None, exclude_known: bool = True,
                on_fold: Callable[[np.ndarray, np.ndarray], None] | None = None,
                ) -> tuple[list[FoldResult], Any]:
    """Prequential folds (train, delay gap, test) sliding forward; returns folds and the last model.

    With ``card`` given, the test rows of cards already known to be compromised (a fraud on them
    in the training block or the days since, up to the label delay) are left out, as the handbook
    does (``known_compromised``), unless ``exclude_known`` is false.
    ``on_fold(test_mask, scores)`` sees each fold's test rows and the model's scores for them."""
    results: list[FoldResult] = []
    booster = None
    for i in range(folds):
        t0 = start_day + i * test_days
        t1 = t0 + train_days
        s0 = t1 + delay_days
        s1 = s0 + test_days
        train = (day >= t0) & (day < t1)
        test = (day >= s0) & (day < s1)
        excluded = 0
        if card is not None and exclude_known and test.any():
            span = (day >= t0) & (day < s1)
            known = np.zeros(len(day), dtype=bool)
            known[span] = known_compromised(day[span], card[span], y[span], since_day=t0,
                                            delay_days=delay_days)
            excluded = int((test & known).sum())
            test &= ~known
        if not train.any() or not test.any() or y[train].sum() == 0:
            break
        booster = train_model(x[train], y[train], feature_names, rounds=rounds, params=params)
        score = booster.predict(x[test])
        if on_fold is not None:
            on_fold(test, score)
        cp = (card_precision_at_k(day[test], card[test], y[test], score)
              if card is not None else None)
        results.append(FoldResult((t0, t1), (s0, s1), int(train.sum()), int(test.sum()),
                                  roc_auc(y[test], score), average_precision(y[test], score), cp,
                                  excluded))
    return results, booster


def select_params(x: np.ndarray, y: np.ndarray, day: np.ndarray, feature_names: list[str], *,
                  card: np.ndarray | None = None, start_day: int, train_days: int = 7, delay_days: int = 7,
                  test_days: int = 7, folds: int = 4, rounds: int = 200,
                  grid: Sequence[dict[str, Any]] = PARAM_GRID) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Hyper-parameters chosen on validation folds that lie wholly before the test folds.

    The handbook's model selection (chapter 5): each candidate runs the same prequential folds placed
    ``folds * test_days`` days earlier, so the last validation test block ends where the first test
    block (of folds starting at ``start_day``) begins and the test blocks are never looked at; the
    best mean validation ROC-AUC wins. Returns the chosen parameters and every candidate's figures."""
    val_start = start_day - folds * test_days
    if val_start < 0:
        raise ValueError(f"model selection needs {folds * test_days} days of history before day {start_day}")
    trials: list[dict[str, Any]] = []
    for candidate in grid:
        params = {**DEFAULT_PARAMS, **candidate}
        results, _ = prequential(x, y, day, feature_names, card=card, start_day=val_start,
                                 train_days=train_days, delay_days=delay_days, test_days=test_days,
                                 folds=folds, rounds=rounds, params=params)
        trials.append({"params": candidate, "validation": summarize(results)})
    scored = [t for t in trials if "auc" in t["validation"]]
    if not scored:
        raise ValueError("no validation fold had both training labels and test rows")
    best = max(scored, key=lambda t: t["validation"]["auc"])
    return {**DEFAULT_PARAMS, **best["params"]}, trials


def summarize(folds: Sequence[FoldResult]) -> dict[str, Any]:
    """Mean and standard deviation of each metric over the folds."""
    out: dict[str, Any] = {"folds": len(folds)}
    for name in ("auc", "average_precision", "card_precision_at_100"):
        values = [getattr(f, name) for f in folds if getattr(f, name) is not None]
        if values:
            out[name] = round(float(np.mean(values)), 4)
            out[f"{name}_std"] = round(float(np.std(values)), 4)
    return out


# ---------------------------------------------------------------- registry

class ModelRegistry:
    """Versioned models on disk: ``vN/model.txt`` + ``vN/meta.json`` and ``state.json`` naming the
    live and the shadow version. A new model is registered, shadow-scored beside the live one, and
    promoted when its figures hold."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _state(self) -> dict[str, Any]:
        path = self.root / "state.json"
        return json.loads(path.read_text()) if path.exists() else {"live": None, "shadow": None}

    def state(self) -> dict[str, int | None]:
        """The live and the shadow version numbers (None when not set)."""
        state = self._state()
        return {"live": state.get("live"), "shadow": state.get("shadow")}

    def scorer(self, **options: Any) -> ModelScorer | None:
        """The engine's scorer for the current live (and shadow) versions; None without a live model."""
        state = self.state()
        if state["live"] is None:
            return None
        shadow = state["shadow"]
        return ModelScorer(self.load(state["live"]), state["live"],
                           self.load(shadow) if shadow is not None else None, shadow, **options)

    def _write_state(self, state: dict[str, Any]) -> None:
        tmp = self.root / "state.json.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(self.root / "state.json")  # atomic: a reader never sees half a file

    def versions(self) -> list[dict[str, Any]]:
        """Every registered version with its metadata, oldest first."""
        found = sorted((int(p.name[1:]), p) for p in self.root.glob("v*") if p.name[1:].isdigit())
        state = self._state()
        out = []
        for number, path in found:
            meta = json.loads((path / "meta.json").read_text())
            meta["status"] = ("live" if state["live"] == number else
                              "shadow" if state["shadow"] == number else "registered")
            out.append(meta)
        return out

    def register(self, booster: Any, metrics: dict[str, Any], *, source: str) -> int:
        """Store a new version (not yet live) and return its number."""
        numbers = [v["version"] for v in self.versions()]
        number = max(numbers, default=0) + 1
        path = self.root / f"v{number}"
        path.mkdir()
        booster.save_model(str(path / "model.txt"))
        meta = {"version": number, "created_at": datetime.now(UTC).isoformat(), "source": source,
                "features": list(booster.feature_name()), "metrics": metrics}
        (path / "meta.json").write_text(json.dumps(meta, indent=1))
        return number

    def _require(self, version: int) -> None:
        if not (self.root / f"v{version}" / "model.txt").exists():
            raise KeyError(f"model version {version} is not registered")

    def set_shadow(self, version: int | None) -> None:
        """Score ``version`` beside the live model without letting it decide."""
        if version is not None:
            self._require(version)
        self._write_state({**self._state(), "shadow": version})

    def promote(self, version: int) -> None:
        """Make ``version`` the live model (and stop shadowing it)."""
        self._require(version)
        state = self._state()
        shadow = None if state["shadow"] == version else state["shadow"]
        self._write_state({"live": version, "shadow": shadow})

    def load(self, version: int) -> CompiledModel:
        """The compiled scorer of one version."""
        import lightgbm as lgb

        self._require(version)
        booster = lgb.Booster(model_file=str(self.root / f"v{version}" / "model.txt"))
        return CompiledModel.from_booster(booster)

    def live(self) -> CompiledModel | None:
        """The live model's compiled scorer, if one is promoted."""
        v = self._state()["live"]
        return None if v is None else self.load(v)

    def shadow(self) -> CompiledModel | None:
        """The shadow model's compiled scorer, if one is set."""
        v = self._state()["shadow"]
        return None if v is None else self.load(v)

    def remove(self, version: int) -> None:
        """Delete a version that is neither live nor shadow."""
        state = self._state()
        if version in (state["live"], state["shadow"]):
            raise ValueError("cannot remove the live or the shadow model")
        shutil.rmtree(self.root / f"v{version}")


# ---------------------------------------------------------------- combining the model with the rules

#: Probability floors and the rule points the model adds at each (highest band first).
MODEL_BANDS: tuple[tuple[float, int], ...] = ((0.9, 100), (0.6, 60), (0.3, 30))


@dataclass
class ModelScorer:
    """The live model (and an optional shadow) as the engine uses them: probability → rule points
    (the engine's :class:`~bayfin.antifraud.engine.scoring.Scorer`).

    ``bands`` maps a probability floor to the points added to the rule score, so the model raises an
    event through the same thresholds the rules use; the shadow model is scored and reported only.
    """

    live: CompiledModel
    version: int | None = None
    shadow: CompiledModel | None = None
    shadow_version: int | None = None
    bands: tuple[tuple[float, int], ...] = MODEL_BANDS
    top: int = 3

    def points(self, probability: float) -> int:
        """Rule points for a probability (0 below the lowest band)."""
        for floor, pts in self.bands:
            if probability >= floor:
                return pts
        return 0

    def score(self, features: dict[str, Any]) -> ModelVerdict:
        """Probability, points and top contributing features of the live model (and the shadow score)."""
        probability, top = self.live.explain(features, self.top)
        if self.shadow is None:
            return ModelVerdict(probability, self.points(probability), tuple(top), self.version)
        shadow = self.shadow.predict(features)
        return ModelVerdict(probability, self.points(probability), tuple(top), self.version, shadow,
                            self.shadow_version, self.points(shadow))
