"""``bayfin scoring train|evaluate|score|psi``: models from the hub, judged on held-out outcomes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, emit, print_table, progress
from bayfin.scoring import model as registry
from bayfin.scoring.features import features_as_of
from bayfin.scoring.labels import held_out, labelled
from bayfin.scoring.service import ScoringService, train_and_register

app = typer.Typer(
    help="Credit scoring: train, evaluate and score with the registered scorecard.", no_args_is_help=True
)

_TRUTH = typer.Option(
    Path("var/demo/ground_truth/enterprises.csv"),
    "--truth",
    help="The demo region's hidden ground truth (defaults and their months).",
)
_SEED = typer.Option(7, help="Seed for the firm hold-out and the challenger.")
_TEST_SHARE = typer.Option(0.3, min=0.05, max=0.9, help="Share of firms held out of training.")
_HORIZON = typer.Option(12, min=1, help="Months after the date in which a default counts.")


def _date(text: str) -> date:
    return datetime.strptime(text, "%Y-%m-%d").date()


@app.command("train")
def train(
    as_of: str = typer.Option("2023-08-01", help="Features as of this date (YYYY-MM-DD)."),
    truth: Path = _TRUTH,
    horizon: int = _HORIZON,
    seed: int = _SEED,
    test_share: float = _TEST_SHARE,
    as_json: bool = JsonOption,
) -> None:
    """Fit the scorecard and challenger on the firms not held out; register a new version."""
    when = _date(as_of)
    with open_platform() as platform, progress("features and fitting", total=None), \
            platform.session_factory() as session:
        fitted, folder = train_and_register(session, platform.settings.data_dir, truth, when,
                                            horizon_months=horizon, seed=seed, test_share=test_share)
    emit(
        {"version": fitted.version, "path": str(folder), "rows": fitted.meta["rows"],
         "defaults": fitted.meta["defaults"], "fingerprint": fitted.meta["fingerprint"],
         "variables": ", ".join(fitted.meta["kept"])},
        as_json=as_json, title="registered scoring model",
    )  # fmt: skip


def _flat(name: str, m: dict[str, float]) -> dict[str, Any]:
    return {
        "model": name,
        **{k: round(v, 4) for k, v in m.items() if k in ("auc", "gini", "ks", "brier")},
        "n": int(m.get("n", 0)),
        "bad_rate": round(m.get("bad_rate", 0.0), 4),
    }


@app.command("evaluate")
def evaluate(
    as_of: str = typer.Option("2024-08-01", help="Later date: features then, outcomes after it."),
    truth: Path = _TRUTH,
    version: str | None = typer.Option(None, help="Model version (default: latest)."),
    german: bool = typer.Option(False, "--german/--no-german", help="Also run 5-fold CV on German credit."),
    german_seed: int = typer.Option(42, "--german-seed", help="German credit: seed of the first fold split."),
    repeats: int = typer.Option(
        1, min=1, help="German credit: repeats of the 5-fold split (seeds seed, seed+1, …)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Out-of-time, out-of-sample metrics on held-out firms, calibration, PSI; optionally German credit."""
    when = _date(as_of)
    with open_platform() as platform:
        data_dir = platform.settings.data_dir
        fitted = registry.load(data_dir, version)
        with platform.session_factory() as session:
            features = features_as_of(session, when)
        meta = fitted.meta
        table, y = labelled(features, truth, when, int(meta.get("horizon_months", 12)))
        test = held_out(table["credit_code"], float(meta.get("test_share", 0.3)), int(meta["seed"]))
        result: dict[str, Any] = {"demo": registry.evaluate(fitted, table.filter(test), y[test])}
        result["demo"]["psi"] = fitted.psi(features)
        result["demo"]["as_of"] = as_of
        if german:
            from bayfin.scoring.evaluation import WINNER, german_credit_cv

            result["german_credit_cv5"] = german_credit_cv(seed=german_seed, repeats=repeats)
            result["german_credit_protocol"] = {
                "folds": 5,
                "seed": german_seed,
                "repeats": repeats,
                "winner": WINNER,
            }
        registry.update_metrics(data_dir, fitted.version, result)
    if as_json:
        emit(result, as_json=True)
        return
    demo = result["demo"]
    rows = [_flat("scorecard", demo["scorecard"])]
    if "challenger" in demo:
        rows.append(_flat("LightGBM challenger", demo["challenger"]))
    print_table(rows, title=f"demo region, model {fitted.version}, held-out firms, outcomes after {as_of}")
    print_table(
        [{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in demo["calibration"]],
        title="calibration (PD bands)",
    )
    psi = demo["psi"]
    print_table(
        [{"psi": round(psi["psi"], 4), "warning": psi["warning"], "threshold": psi["threshold"]}],
        title="population stability (live vs training)",
    )
    if german:
        print_table(
            [
                {"model": f"{k} *" if k == WINNER else k, **{m: round(v, 4) for m, v in vals.items()}}
                for k, vals in result["german_credit_cv5"].items()
            ],
            title=f"German credit, stratified 5-fold CV × {repeats} (seed {german_seed}); * = bayfin's model",
        )


@app.command("score")
def score(
    credit_code: str = typer.Argument(..., help="Unified social credit code."),
    as_of: str | None = typer.Option(None, help="Score as of this date (default: today)."),
    version: str | None = typer.Option(None, help="Model version (default: latest)."),
    as_json: bool = JsonOption,
) -> None:
    """One firm's score, band, PD and reasons from its point-in-time hub record."""
    with open_platform() as platform:
        service = ScoringService(platform.settings.data_dir)
        when = _date(as_of) if as_of else platform.clock.now().date()
        with platform.session_factory() as session:
            result = service.score(session, credit_code, when, version)
    if as_json:
        emit(result, as_json=True)
        return
    reasons = "; ".join(r["text"] for r in result["reasons"]) or "none"
    emit({"credit_code": result["credit_code"], "score": result["score"], "band": result["band"],
          "pd": result["pd"], "reasons": reasons, "model": result["model_version"]},
         as_json=False, title="score")  # fmt: skip


@app.command("psi")
def psi(
    as_of: str = typer.Option(..., help="Live population as of this date."),
    version: str | None = typer.Option(None, help="Model version (default: latest)."),
    as_json: bool = JsonOption,
) -> None:
    """Population stability of the live scores against training; warns above 0.25."""
    with open_platform() as platform:
        fitted = registry.load(platform.settings.data_dir, version)
        with platform.session_factory() as session:
            result = fitted.psi(features_as_of(session, _date(as_of)))
    emit(result, as_json=as_json, title="population stability")
    if result["warning"]:
        typer.secho(f"warning: PSI {result['psi']:.3f} above {result['threshold']}", err=True, fg="yellow")
