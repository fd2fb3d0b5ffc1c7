"""``bayfin fraud train|evaluate`` and ``bayfin fraud models …``: learning from labelled history."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import typer

from bayfin.cli.output import JsonOption, emit, err_console, print_table

models_app = typer.Typer(help="Model registry: list, shadow, promote.", no_args_is_help=True)
REGISTRY_HELP = "Model registry directory."
DEFAULT_REGISTRY = Path("var/fraud-models")


def _features(handbook: Path, delay_days: int) -> tuple[Any, str]:
    from bayfin.antifraud.learning.training import handbook_features

    return handbook_features(handbook / "transactions.parquet", delay_days), f"handbook:{handbook}"


def _table_options(table: Path | None, label: str | None, time_col: str | None) -> tuple[Path, str, str]:
    if table is None or label is None or time_col is None:
        err_console.print("[red]give --handbook DIR, or --table FILE with --label and --time[/red]")
        raise typer.Exit(2)
    return table, label, time_col


@contextmanager
def _unreadable_table_exits() -> Iterator[None]:
    """A table that cannot be read (a missing column, no features, a bad file) exits 2 with the cause."""
    import polars as pl

    try:
        yield
    except (ValueError, OSError, pl.exceptions.PolarsError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _run(table: Path | None, handbook: Path | None, label: str | None, time_col: str | None,
         card: str | None, start_day: int, train_days: int, delay_days: int, test_days: int, folds: int,
         rounds: int) -> tuple[dict[str, Any], Any, str]:
    from bayfin.antifraud.learning.model import prequential, summarize
    from bayfin.antifraud.learning.training import prequential_table

    started = time.perf_counter()
    if handbook is not None:
        ft, source = _features(handbook, delay_days)
        results, booster = prequential(ft.x, ft.y, ft.day, ft.names, card=ft.card, start_day=start_day,
                                       train_days=train_days, delay_days=delay_days, test_days=test_days,
                                       folds=folds, rounds=rounds)
        rows, fraud_share, names = len(ft.y), float(np.mean(ft.y)), ft.names
    else:
        path, label, time_col = _table_options(table, label, time_col)
        source = f"table:{path}"
        with _unreadable_table_exits():
            # streamed: one fold window of the table in memory at a time
            results, booster, info = prequential_table(
                path, label, time_col, card, start_day=start_day, train_days=train_days,
                delay_days=delay_days, test_days=test_days, folds=folds, rounds=rounds)
        rows, fraud_share, names = info.rows, info.fraud_share, info.names
    if booster is None:
        err_console.print("[red]no fold had both training labels and test rows: check the day options[/red]")
        raise typer.Exit(1)
    summary = {**summarize(results), "rows": rows, "fraud_share": round(fraud_share, 5),
               "features": len(names), "seconds": round(time.perf_counter() - started, 1),
               "per_fold": [r.as_dict() for r in results]}
    return summary, booster, source


_TABLE = typer.Option(None, "--table", help="CSV or Parquet table of numeric features.")
_HANDBOOK = typer.Option(None, "--handbook", help="Directory written by `fraud simulate --profile handbook`.")
_LABEL = typer.Option(None, "--label", help="0/1 fraud label column (with --table).")
_TIME = typer.Option(None, "--time", help="Time column: datetime, date or seconds (with --table).")
_CARD = typer.Option(None, "--card", help="Card/customer column for card precision@100 (with --table).")


def train_command(
    table: Path | None = _TABLE, handbook: Path | None = _HANDBOOK, label: str | None = _LABEL,
    time_col: str | None = _TIME, card: str | None = _CARD,
    start_day: int = typer.Option(0, help="First training day (day 0 = earliest row)."),
    train_days: int = typer.Option(7, help="Days in each training block."),
    delay_days: int = typer.Option(7, help="Label delay: days between training and test blocks."),
    test_days: int = typer.Option(7, help="Days in each test block."),
    folds: int = typer.Option(4, help="Prequential folds."),
    rounds: int = typer.Option(200, help="Boosting rounds."),
    registry: Path = typer.Option(DEFAULT_REGISTRY, help=REGISTRY_HELP),
    as_json: bool = JsonOption,
) -> None:
    """Train a LightGBM model with prequential validation and register it as a new version."""
    from bayfin.antifraud.learning.model import ModelRegistry

    summary, booster, source = _run(table, handbook, label, time_col, card, start_day, train_days,
                                    delay_days, test_days, folds, rounds)
    per_fold = summary.pop("per_fold")
    summary["version"] = ModelRegistry(registry).register(booster, summary, source=source)
    summary["per_fold"] = per_fold
    emit(summary, as_json=as_json, title="model trained (prequential, mean over folds)")


def evaluate_command(
    table: Path | None = _TABLE, handbook: Path | None = _HANDBOOK, label: str | None = _LABEL,
    time_col: str | None = _TIME, card: str | None = _CARD,
    version: int | None = typer.Option(None, help="Registered version to score (default: live)."),
    registry: Path = typer.Option(DEFAULT_REGISTRY, help=REGISTRY_HELP),
    delay_days: int = typer.Option(7, help="Label delay used by the handbook features."),
    combined: bool = typer.Option(False, "--combined", help="With --handbook: rules + model as the engine "
                                  "combines them, beside model only and rules only (prequential folds)."),
    start_day: int = typer.Option(115, help="With --combined: first training day."),
    folds: int = typer.Option(4, help="With --combined: prequential folds."),
    train_days: int = typer.Option(7, help="With --combined: days in each training block (the book: 7)."),
    engine_features: bool = typer.Option(False, "--engine-features", help="With --combined: the model also "
                                         "learns from the engine's own features of the replayed events."),
    select: bool = typer.Option(False, "--select", help="With --combined: choose the model's "
                                "hyper-parameters on validation folds before the test folds."),
    as_json: bool = JsonOption,
) -> None:
    """Score a labelled table with a registered model and print ROC-AUC, AP and card precision@100."""
    import lightgbm as lgb

    if combined:
        _evaluate_combined(handbook, delay_days, start_day, folds, train_days, engine_features, select,
                           as_json)
        return

    from bayfin.antifraud.learning.model import ModelRegistry, average_precision, card_precision_at_k, roc_auc

    reg = ModelRegistry(registry)
    chosen = version
    if chosen is None:
        live = [v for v in reg.versions() if v["status"] == "live"]
        if not live:
            err_console.print("[red]no live model: give --version[/red]")
            raise typer.Exit(2)
        chosen = live[0]["version"]
    try:
        booster = lgb.Booster(model_file=str(registry / f"v{chosen}" / "model.txt"))
    except lgb.basic.LightGBMError as exc:
        err_console.print(f"[red]model version {chosen} cannot be read[/red]")
        raise typer.Exit(2) from exc
    if handbook is not None:
        ft, _source = _features(handbook, delay_days)
        if list(booster.feature_name()) != ft.names:
            err_console.print("[red]the table's feature columns differ from the model's[/red]")
            raise typer.Exit(2)
        y, day, cards = ft.y, ft.day, ft.card
        score = np.asarray(booster.predict(ft.x), dtype=np.float64)
    else:
        from bayfin.antifraud.learning.training import score_table, table_features

        path, label, time_col = _table_options(table, label, time_col)
        with _unreadable_table_exits():
            names = table_features(path, label, time_col, card)
        if list(booster.feature_name()) != names:
            err_console.print("[red]the table's feature columns differ from the model's[/red]")
            raise typer.Exit(2)
        with _unreadable_table_exits():
            # scored in batches: only the scores, labels, days and cards of all rows are kept
            scored = score_table(path, label, time_col, booster.predict, card)
        y, day, cards, score = scored.y, scored.day, scored.card, scored.score
    out: dict[str, Any] = {"version": chosen, "rows": len(y), "auc": round(roc_auc(y, score), 4),
                           "average_precision": round(average_precision(y, score), 4)}
    if cards is not None:
        out["card_precision_at_100"] = round(card_precision_at_k(day, cards, y, score), 4)
    emit(out, as_json=as_json, title=f"model v{chosen} evaluated")


def _evaluate_combined(handbook: Path | None, delay_days: int, start_day: int, folds: int,
                       train_days: int, engine_features: bool, select: bool, as_json: bool) -> None:
    from bayfin.antifraud.learning.combined import evaluate_combined

    if handbook is None:
        err_console.print("[red]--combined needs --handbook DIR (the rules are replayed on its events)[/red]")
        raise typer.Exit(2)
    try:
        report = evaluate_combined(handbook, start_day=start_day, delay_days=delay_days, folds=folds,
                                   train_days=train_days, engine_features=engine_features, select=select)
    except ValueError as exc:  # e.g. too little history before the test folds for model selection
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        emit(report, as_json=True)
        return
    rows = [{"scored by": kind, **report["mean"][kind]} for kind in ("model", "rules", "combined")]
    print_table(rows, title=f"handbook profile, {len(report['folds'])} prequential folds of "
                f"{train_days} training days, {report['features']} features (mean, sd)")
    print_table([{"test days": f"{f['test_days'][0]}–{f['test_days'][1] - 1}", "fraud": f["fraud"],
                  "rule hits": f["rule_hits"], "rules: flagged / precision / recall":
                  f"{f['rules_decisions']['flagged']} / {f['rules_decisions']['precision']} / "
                  f"{f['rules_decisions']['recall']}", "rules + model: flagged / precision / recall":
                  f"{f['combined_decisions']['flagged']} / {f['combined_decisions']['precision']} / "
                  f"{f['combined_decisions']['recall']}"} for f in report["folds"]],
                title="REVIEW or worse, per fold")
    if report["selection"] is not None:
        print_table([{"params": str(t["params"] or "defaults"), **t["validation"]}
                     for t in report["selection"]["trials"]],
                    title=f"model selection on the validation folds: chosen {report['selection']['chosen']}")


@models_app.command("list")
def models_list(registry: Path = typer.Option(DEFAULT_REGISTRY, help=REGISTRY_HELP),
                as_json: bool = JsonOption) -> None:
    """Registered model versions, their status and their prequential figures."""
    from bayfin.antifraud.learning.model import ModelRegistry

    rows = [{"version": v["version"], "status": v["status"], "created_at": v["created_at"],
             "source": v["source"], "auc": v["metrics"].get("auc"),
             "average_precision": v["metrics"].get("average_precision"),
             "card_precision_at_100": v["metrics"].get("card_precision_at_100")}
            for v in ModelRegistry(registry).versions()]
    if as_json:
        emit(rows, as_json=True)
    else:
        print_table(rows, title="fraud models")


def _switch(action: str, version: int, registry: Path) -> None:
    from bayfin.antifraud.learning.model import ModelRegistry

    reg = ModelRegistry(registry)
    try:
        reg.promote(version) if action == "promote" else reg.set_shadow(version)
    except KeyError as exc:
        err_console.print(f"[red]{exc.args[0]}[/red]")
        raise typer.Exit(2) from exc
    emit({"version": version, "action": action}, as_json=False, title=f"model v{version}: {action}")


@models_app.command("shadow")
def models_shadow(version: int = typer.Argument(...),
                  registry: Path = typer.Option(DEFAULT_REGISTRY, help=REGISTRY_HELP)) -> None:
    """Score a version beside the live model (its score is recorded, it does not decide)."""
    _switch("shadow", version, registry)


@models_app.command("promote")
def models_promote(version: int = typer.Argument(...),
                   registry: Path = typer.Option(DEFAULT_REGISTRY, help=REGISTRY_HELP)) -> None:
    """Make a version the live model."""
    _switch("promote", version, registry)


def shadow_report_command(
    hours: int = typer.Option(24 * 7, min=1, help="Decisions of the last HOURS."),
    disagreement: float = typer.Option(0.5, help="|live − shadow probability| counted as a disagreement."),
    as_json: bool = JsonOption,
) -> None:
    """Compare the shadow model with the live one on recent decisions and the analysts' case outcomes."""
    from datetime import UTC, datetime, timedelta

    from bayfin.antifraud.learning.shadow import shadow_report
    from bayfin.cli.context import open_platform
    from bayfin.kernel.tenancy import TenantScope

    with open_platform() as platform, platform.unit_of_work() as uow:
        report = shadow_report(uow.session, scope=TenantScope.system("cli"),
                               since=datetime.now(UTC) - timedelta(hours=hours),
                               disagreement=disagreement)
    if as_json:
        emit(report, as_json=True)
        return
    labelled = report.pop("labelled", None)
    changes = report.pop("decision_changes", {})
    emit(report, as_json=False, title=f"shadow against live, last {hours} h")
    if changes:
        print_table([{"live->shadow": k, "decisions": v} for k, v in changes.items()],
                    title="decisions the shadow model would change")
    if labelled:
        print_table([{"model": m, **labelled[m]} for m in ("live", "shadow")],
                    title=f"on {labelled['cases']} decided cases ({labelled['confirmed']} confirmed fraud)")
    err_console.print("promote with `bayfin fraud models promote VERSION` (running engines reload it)")


def backtest_command(
    rules: Path = typer.Option(..., "--rules", help="Candidate rule-set directory."),
    events: Path = typer.Option(..., "--events", help="Labelled event file or directory (CSV/Parquet)."),
    live: Path | None = typer.Option(None, "--live", help="Live rule set (default: shipped)."),
    features_cache: Path | None = typer.Option(None, help="Parquet file caching the features between runs."),
    all_features: bool = typer.Option(False, "--all-features", help="Compute every feature, not only those "
                                      "the two rule sets name (for a cache shared by many rule sets)."),
    as_json: bool = JsonOption,
) -> None:
    """Replay labelled history through a candidate rule set, vectorised: per rule and overall figures."""
    from bayfin.antifraud.engine.ruleset import load_ruleset
    from bayfin.antifraud.learning.backtest import backtest, feature_frame, rule_features
    from bayfin.kernel.errors import AppError

    try:
        candidate = load_ruleset(rules)
        live_set = load_ruleset(live)
    except (AppError, OSError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    started = time.perf_counter()
    # only the features the candidate's and the live rules read: a third less time and memory for
    # the shipped set, far less for a narrow candidate (docs/benchmarks.md)
    only = None if all_features else rule_features(candidate, live_set)
    frame = feature_frame(events, cache=features_cache, only=only)
    featured = time.perf_counter()
    report = backtest(frame, candidate, live_set)
    report["seconds"] = {"features": round(featured - started, 2),
                         "rules": round(time.perf_counter() - featured, 2)}
    report["features_computed"] = frame.width - 4  # less the label, amount, channel and type
    if as_json:
        emit(report, as_json=True)
        return
    print_table(report["candidate"]["rules"], title=f"candidate {candidate.version}: per rule")
    overall = {k: v for k, v in report["candidate"].items() if k != "rules"}
    emit(overall, as_json=False, title="candidate overall")
    emit(report["difference"], as_json=False, title=f"difference against live {live_set.version}")
