"""The vectorised batch path and the frame-free single-firm path give the earlier implementation's results."""

import numpy as np
import polars as pl
import pytest

from bayfin.scoring.model import fit_model
from tests.unit.scoring.test_scorecard import synthetic


def reference_scores_and_reasons(card, features, top=3):
    """The first implementation: column_stack of per-bin points, a full argsort of the points lost
    against each variable's best value bin."""
    columns = {c: features[c].to_numpy() for c in features.columns if c != "credit_code"}
    table = card.points_table()
    bins = np.column_stack([v.bin_index(np.asarray(columns[v.name])) for v in card.variables])
    pts = np.column_stack([table[j][bins[:, j]] for j in range(len(card.variables))])
    best = np.array([t[:-1].max() for t in table])  # the best value bin (the missing bin is last)
    lost = best[None, :] - pts
    order = np.argsort(-lost, axis=1)[:, :top]
    names = np.array([v.name for v in card.variables], dtype=object)
    rows = np.arange(len(pts))[:, None]
    picked = np.where(lost[rows, order] > 1e-9, names[order], None)
    return pts.sum(axis=1), [[n for n in row if n is not None] for row in picked.tolist()]


@pytest.fixture(scope="module")
def fitted():
    features, y = synthetic(3000, seed=3)
    return features, fit_model(features, y, challenger=True)


def random_rows(features, n, seed):
    """Rows drawn independently per column from the training values, with some missing and unseen values."""
    rng = np.random.default_rng(seed)
    data = {"credit_code": [f"R{i:017d}" for i in range(n)]}
    for c in features.columns[1:]:
        values = features[c].to_numpy()[rng.integers(0, features.height, size=n)]
        if features[c].dtype == pl.Utf8:
            values = np.where(rng.random(n) < 0.05, "Z99", values).astype(object)
            values[rng.random(n) < 0.05] = None
            data[c] = pl.Series(values.tolist(), dtype=pl.Utf8)
        else:
            values = values + rng.normal(0, 0.3, size=n)
            values[rng.random(n) < 0.05] = np.nan
            data[c] = values
    return pl.DataFrame(data)


def test_batch_scores_and_reasons_equal_the_first_implementation_on_random_rows(fitted):
    features, model = fitted
    rows = random_rows(features, 5000, seed=11)
    scores, reasons = reference_scores_and_reasons(model.scorecard, rows)
    frame = model.score_frame(rows)
    assert frame["score"].to_list() == np.round(scores).astype(np.int64).tolist()
    letters = ("H", "G", "F", "E", "D", "C", "B", "A")
    assert frame["band"].to_list() == [letters[b] for b in model.band_of(scores)]
    assert frame["reasons"].to_list() == reasons
    assert all(len(r) == 3 for r in reasons)


def test_score_only_equals_the_score_of_the_points_matrix(fitted):
    features, model = fitted
    rows = random_rows(features, 2000, seed=12)
    total, _ = model.scorecard.score_points(model.columns(rows))
    assert model.scorecard.score(model.columns(rows)) == pytest.approx(total, abs=1e-9)


def test_one_firm_scored_from_plain_values_matches_its_row_in_the_batch(fitted):
    features, model = fitted
    rows = random_rows(features, 300, seed=13)
    batch = model.score_frame(rows).to_dicts()
    challenger = model.challenger_contributions(rows)
    for values, expected, contrib in zip(rows.iter_rows(named=True), batch, challenger, strict=True):
        one = model.explain_one(values)
        assert (one["score"], one["band"]) == (expected["score"], expected["band"])
        assert one["pd"] == round(expected["pd"], 4)
        assert [r["code"] for r in one["reasons"]] == expected["reasons"]
        assert one["challenger"] == contrib


def test_a_firm_in_its_best_bin_everywhere_has_no_reasons(fitted):
    features, model = fitted
    card = model.scorecard
    best = {}
    for v, table in zip(card.variables, card.points_table(), strict=True):
        b = int(np.argmax(table))
        if v.categorical:
            best[v.name] = v.groups[b][0] if b < len(v.groups) else None
        else:
            best[v.name] = np.nan if b == len(v.woe) - 1 else (v.splits[b - 1] if b else v.splits[0] - 1.0)
    one = model.explain_one({"credit_code": "X", **best})
    assert one["reasons"] == []
    batch = model.score_frame(pl.DataFrame([{"credit_code": "X", **best}], schema=features.schema))
    assert batch["reasons"].to_list() == [[]]
    assert one["score"] == int(np.round(sum(float(t.max()) for t in card.points_table())))


def test_a_firm_in_its_best_value_bin_is_not_given_that_reason_when_the_missing_bin_scores_higher(fitted):
    features, model = fitted
    card = model.scorecard
    j, v = next((j, v) for j, v in enumerate(card.variables) if not v.categorical)
    best_value_bin = int(np.argmax(card.points_table()[j][:-1]))
    saved = v.woe[-1]
    # the missing bin made the top scorer, as the empty missing bin of a zero-filled feature can be
    v.woe[-1] = v.woe[best_value_bin] - np.sign(v.coef or 1.0) * 5.0
    try:
        table = card.points_table()[j]
        assert table[-1] > table[best_value_bin]
        value = v.splits[best_value_bin - 1] if best_value_bin else v.splits[0] - 1.0
        row = {**features.row(0, named=True), v.name: value}
        assert v.name not in [r["code"] for r in model.explain_one(row)["reasons"]]
        batch = model.score_frame(pl.DataFrame([row], schema=features.schema))
        assert v.name not in batch["reasons"].to_list()[0]
    finally:
        v.woe[-1] = saved


def test_a_reason_from_a_missing_value_says_no_data_was_reported(fitted):
    features, model = fitted
    rows = random_rows(features, 400, seed=21)
    said = []
    for values in rows.iter_rows(named=True):
        for reason in model.explain_one(values)["reasons"]:
            value = values[reason["code"]]
            if value is None or (isinstance(value, float) and np.isnan(value)):
                said.append(reason["text"])
            else:
                assert not reason["text"].endswith(" data reported")
    assert said, "some random rows lose points for their missing values"
    assert all(t.startswith("no ") and t.endswith(" data reported") for t in said)
