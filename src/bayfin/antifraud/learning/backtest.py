"""Backtesting a candidate rule set on labelled history, vectorised with polars.

Two passes. First the events are turned into the engine's features: by the vectorised pass of
``vectorised.py`` (the same definitions as the engine's ``FeatureComputer``, computed for all events
at once and tested equal to it), or, where that pass cannot be exact, by ``FeatureComputer`` itself
event by event; optionally cached as a Parquet file so a rule set can be backtested many times on
the same history. Given the rule sets (``rule_features``), only the features their active rules
name are computed, and integer features are stored in their narrowest type. Then every rule's
condition, already checked against the rule language's allow-list, is translated node by node into
a polars expression and all rules are evaluated over all rows at once, with the same null semantics
as the engine (a comparison involving an unknown feature is false) and 64-bit integer arithmetic
(narrow columns are widened before any). Lists are not applied: a backtest measures rules.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bayfin.antifraud.engine.catalogue import Catalogue, load_catalogue
from bayfin.antifraud.engine.eventfile import event_files, event_from_row, read_frame
from bayfin.antifraud.engine.features import FEATURE_DEFAULTS, FeatureComputer
from bayfin.antifraud.engine.rulelang import FUNCTIONS, RuleSyntaxError
from bayfin.antifraud.engine.ruleset import Outcome, RuleSet
from bayfin.antifraud.engine.state import InMemoryStateStore
from bayfin.antifraud.learning.vectorised import EVENT_COLUMNS, NotExact, vectorised_features

__all__ = ["backtest", "condition_expr", "event_scan", "event_table", "feature_frame", "per_event_features",
           "rule_features"]

log = logging.getLogger(__name__)

_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}
_BIN: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
}


def _truthy(expr: Any) -> Any:
    """Python truthiness of a column: null is false, zero is false."""
    import polars as pl

    return expr.fill_null(False).cast(pl.Boolean)


def rule_features(*rulesets: RuleSet | None) -> set[str]:
    """The features the active rules of these rule sets read (what a backtest of them must compute)."""
    names: set[str] = set()
    for ruleset in rulesets:
        for rule in ruleset.rules if ruleset is not None else ():
            if rule.mode != "active":
                continue  # only active rules are evaluated (``_rule_columns``)
            tree = ast.parse(" ".join(rule.condition_text.split()), mode="eval")
            called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called
                      and n.id not in FUNCTIONS}
    return names & FEATURE_DEFAULTS.keys()


def condition_expr(text: str, schema: Mapping[str, Any] | None = None) -> Any:
    """Translate an allow-listed rule condition into a boolean polars expression.

    ``schema`` (the frame's column types) lets integer columns narrower than 64 bits be widened
    wherever they enter arithmetic, so results never depend on how a column is stored."""
    import polars as pl

    narrow = {name for name, dtype in (schema or {}).items()
              if dtype.is_integer() and dtype not in (pl.Int64, pl.UInt64)}

    def value(node: ast.AST, wide: bool = False) -> Any:
        if isinstance(node, ast.Name):
            return pl.col(node.id).cast(pl.Int64) if wide and node.id in narrow else pl.col(node.id)
        if isinstance(node, ast.Constant):
            return pl.lit(node.value)
        if isinstance(node, ast.BinOp):
            return _BIN[type(node.op)](value(node.left, True), value(node.right, True))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand, True)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            return value(node.operand, True)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [value(a, True) for a in node.args]
            name = node.func.id
            if name == "abs":
                return args[0].abs()
            if name in ("min", "max"):
                return (pl.min_horizontal if name == "min" else pl.max_horizontal)(*args)
            if name == "round":
                second = node.args[1] if len(node.args) > 1 else None
                digits = second.value if isinstance(second, ast.Constant) else 0
                return args[0].round(digits if isinstance(digits, int) else 0)
        if isinstance(node, ast.IfExp):
            return pl.when(test(node.test)).then(value(node.body, True)).otherwise(value(node.orelse, True))
        return test(node)

    def test(node: ast.AST) -> Any:
        if isinstance(node, ast.BoolOp):
            parts = [test(v) for v in node.values]
            return pl.all_horizontal(parts) if isinstance(node.op, ast.And) else pl.any_horizontal(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~test(node.operand)
        if isinstance(node, ast.Compare):
            left, parts = node.left, []
            for op, right in zip(node.ops, node.comparators, strict=True):
                parts.append(compare(left, op, right))
                left = right
            return pl.all_horizontal(parts)
        return _truthy(value(node))

    def compare(left: ast.AST, op: ast.cmpop, right: ast.AST) -> Any:
        if isinstance(right, ast.Constant) and right.value is None and isinstance(op, ast.Eq | ast.NotEq):
            return value(left).is_null() if isinstance(op, ast.Eq) else value(left).is_not_null()
        if isinstance(op, ast.In | ast.NotIn):
            elements = [e.value for e in right.elts if isinstance(e, ast.Constant)]  # type: ignore[attr-defined]
            found = value(left, True).is_in(elements).fill_null(False)
            return found if isinstance(op, ast.In) else ~found & value(left).is_not_null()
        # a comparison involving an unknown (null) feature is false, as in the engine
        return _CMP[type(op)](value(left), value(right)).fill_null(False)

    tree = ast.parse(" ".join(text.split()), mode="eval")
    return test(tree.body)


def event_scan(events: Path, columns: Collection[str] | None = EVENT_COLUMNS) -> Any:
    """The events under ``events`` as a lazy frame of ``columns`` (by default those the feature pass
    reads; None: all), the files one after the other as ``read_frame`` takes them (Parquet scanned,
    CSV read)."""
    import polars as pl

    # not yet in time order: ``vectorised_features`` reads it a column at a time and orders it
    scans = []
    for file in event_files(events):
        scan = pl.scan_parquet(file) if file.suffix == ".parquet" else read_frame(file).lazy()
        if columns is not None:
            scan = scan.select([c for c in scan.collect_schema().names() if c in set(columns)])
        scans.append(scan)
    return pl.concat(scans, how="diagonal_relaxed")


def event_table(events: Path, columns: Collection[str] | None = EVENT_COLUMNS) -> Any:
    """The events under ``events`` in time order (stable, across files), with ``columns`` only.

    A stable sort of the files one after the other is what sorting each and then all of them
    (``read_frame`` then a sort) gives; it is applied a column at a time, never holding two tables."""
    table = event_scan(events, columns).collect()
    times = table["occurred_at"]
    if times.null_count():
        return table.sort("occurred_at", maintain_order=True)
    if not times.is_sorted():
        order = np.argsort(times.to_physical().to_numpy(), kind="stable")
        for name in table.columns:
            table = table.with_columns(table[name].gather(order))
    return table


def feature_frame(events: Path, cache: Path | None = None, catalogue: Catalogue | None = None,
                  on_rows: Callable[[int], None] | None = None, vectorised: bool = True,
                  only: Collection[str] | None = None) -> Any:
    """Features of every event under ``events`` (engine definition), with label, amount, channel, type.

    The events are taken in time order (stable, across files). With ``only`` (see ``rule_features``)
    just those features are computed; integer features come in their narrowest type. The vectorised
    pass computes them all at once; where it cannot be exact (an entity past one of the engine's
    state caps) or when ``vectorised`` is off, every event goes through the engine's
    ``FeatureComputer`` one by one. A ``cache`` is reused when it holds every feature asked for."""
    import polars as pl

    wanted = list(FEATURE_DEFAULTS) if only is None else [n for n in FEATURE_DEFAULTS if n in set(only)]
    labels = ["_fraud", "_amount_fen", "_channel", "_type"]
    if cache is not None and cache.exists() and set(wanted + labels) <= set(pl.read_parquet_schema(cache)):
        return pl.read_parquet(cache, columns=wanted + labels)
    catalogue = catalogue or load_catalogue()
    frame = None
    if vectorised:
        try:  # Parquet files are read a column at a time: the events table itself is never held
            frame = vectorised_features(event_scan(events), catalogue, only=only, compact=True)
        except NotExact as exc:
            log.info("vectorised feature pass not exact (%s): computing event by event", exc)
    if frame is None:
        frame = per_event_features(event_table(events, None), catalogue, on_rows).select(wanted + labels)
    if cache is not None:
        frame.write_parquet(cache)
    return frame


def per_event_features(table: Any, catalogue: Catalogue | None = None,
                       on_rows: Callable[[int], None] | None = None) -> Any:
    """Features of every valid row of a time-ordered event table, through ``FeatureComputer`` one by one."""
    import polars as pl

    computer = FeatureComputer(catalogue or load_catalogue())
    rows: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []

    def stream() -> Iterable[Any]:
        for row in table.iter_rows(named=True):
            try:
                event = event_from_row(row)
            except (ValueError, TypeError):
                continue  # the replay reports malformed rows; a backtest skips them
            labels.append({"_fraud": bool(row.get("is_fraud")), "_amount_fen": event.amount_fen,
                           "_channel": event.channel, "_type": event.type})
            yield event

    for features in computer.stream(stream(), InMemoryStateStore()):
        rows.append({k: v for k, v in features.items()
                     if isinstance(v, bool | int | float | str) or v is None})
        if on_rows is not None and len(rows) % 10_000 == 0:
            on_rows(10_000)
    return pl.DataFrame(rows, infer_schema_length=None).hstack(pl.DataFrame(labels))


def _rule_columns(frame: Any, ruleset: RuleSet, catalogue: Catalogue, prefix: str) -> tuple[Any, list[Any]]:
    import polars as pl

    business = {code: t.business for code, t in catalogue.types.items()}
    to_business = pl.col("_type").replace_strict(business, default="", return_dtype=pl.Categorical)
    frame = frame.with_columns(to_business.alias("_business"))
    active = [r for r in ruleset.rules if r.mode == "active"]
    exprs = []
    for rule in active:
        try:
            cond = condition_expr(rule.condition_text, frame.schema)
        except (KeyError, AttributeError) as exc:
            raise RuleSyntaxError(f"rule {rule.id}: cannot be vectorised", rule_id=rule.id) from exc
        scope = pl.lit(True)
        if rule.channels is not None:
            scope = scope & pl.col("_channel").is_in(sorted(rule.channels))
        if rule.businesses is not None:
            scope = scope & pl.col("_business").is_in(sorted(rule.businesses))
        if rule.types is not None:
            scope = scope & pl.col("_type").is_in(sorted(rule.types))
        exprs.append((scope & cond).alias(f"{prefix}{rule.id}"))
    frame = frame.with_columns(exprs) if exprs else frame
    # the score and outcome one rule at a time (a single expression would hold every rule's column)
    score = np.zeros(frame.height, dtype=np.int64)
    for r in active:
        score += frame[f"{prefix}{r.id}"].fill_null(False).to_numpy().astype(np.int64) * r.score
    t = ruleset.thresholds
    outcome = np.select([score >= t.block, score >= t.review, score >= t.challenge], [3, 2, 1], 0)
    for r in active:
        if r.action is not None:
            hit = frame[f"{prefix}{r.id}"].fill_null(False).to_numpy()
            outcome = np.where(hit, np.maximum(outcome, int(r.action)), outcome)
    frame = frame.with_columns(pl.Series(f"{prefix}score", score),
                               pl.Series(f"{prefix}outcome", outcome.astype(np.int32)))
    return frame, active


def _summary(frame: Any, prefix: str, active: list[Any]) -> dict[str, Any]:
    import polars as pl

    fraud_total = int(frame["_fraud"].sum())
    flagged = pl.col(f"{prefix}outcome") >= int(Outcome.REVIEW)
    per_rule = []
    for rule in active:
        hit = pl.col(f"{prefix}{rule.id}")
        agg = frame.select(hit.sum().alias("hits"), (hit & pl.col("_fraud")).sum().alias("fraud"),
                           pl.when(hit).then(pl.col("_amount_fen")).otherwise(0).sum().alias("amount")).row(0)
        hits, fraud, amount = (int(v or 0) for v in agg)
        per_rule.append({"rule": rule.id, "hits": hits, "precision": round(fraud / hits, 4) if hits else None,
                         "recall": round(fraud / fraud_total, 4) if fraud_total else None,
                         "hit_amount_fen": amount})
    over = frame.select(flagged.sum().alias("flagged"), (flagged & pl.col("_fraud")).sum().alias("caught"),
                        pl.when(pl.col(f"{prefix}outcome") == 3).then(pl.col("_amount_fen")).otherwise(0)
                        .sum().alias("blocked_fen")).row(0)
    by_channel = frame.group_by("_channel").agg(
        (flagged & ~pl.col("_fraud")).sum().alias("fp"), (~pl.col("_fraud")).sum().alias("legit")
    ).with_columns(pl.col("_channel").cast(pl.Utf8)).sort("_channel")  # by name, however stored
    fpr = {c: round(fp / legit, 5) if legit else None for c, fp, legit in by_channel.iter_rows()}
    flagged_n, caught, blocked = (int(v or 0) for v in over)
    return {"events": frame.height, "fraud": fraud_total, "flagged": flagged_n, "caught": caught,
            "precision": round(caught / flagged_n, 4) if flagged_n else None,
            "recall": round(caught / fraud_total, 4) if fraud_total else None,
            "blocked_amount_fen": blocked, "false_positive_rate_by_channel": fpr, "rules": per_rule}


def backtest(frame: Any, candidate: RuleSet, live: RuleSet | None = None,
             catalogue: Catalogue | None = None) -> dict[str, Any]:
    """Per rule and overall figures of ``candidate`` (and of ``live``, with the differences)."""
    catalogue = catalogue or load_catalogue()
    frame, active = _rule_columns(frame, candidate, catalogue, "c:")
    report: dict[str, Any] = {"candidate": {"version": candidate.version, **_summary(frame, "c:", active)}}
    if live is not None:
        frame, live_active = _rule_columns(frame, live, catalogue, "l:")
        report["live"] = {"version": live.version, **_summary(frame, "l:", live_active)}
        c, lv = report["candidate"], report["live"]
        report["difference"] = {k: (c[k] - lv[k]) if c[k] is not None and lv[k] is not None else None
                                for k in ("flagged", "caught", "precision", "recall", "blocked_amount_fen")}
        import polars as pl

        changed = frame.select(
            ((pl.col("c:outcome") >= 2) & (pl.col("l:outcome") < 2)).sum().alias("newly_flagged"),
            ((pl.col("c:outcome") < 2) & (pl.col("l:outcome") >= 2)).sum().alias("no_longer_flagged")).row(0)
        report["difference"].update(newly_flagged=int(changed[0]), no_longer_flagged=int(changed[1]))
    return report


def rule_scores(frame: Any, ruleset: RuleSet, catalogue: Catalogue | None = None) -> tuple[Any, Any]:
    """Each row's active-rule score and rule outcome (0 ALLOW … 3 BLOCK), as the engine's rules give them."""
    scored, _active = _rule_columns(frame, ruleset, catalogue or load_catalogue(), "r:")
    return scored["r:score"], scored["r:outcome"]
