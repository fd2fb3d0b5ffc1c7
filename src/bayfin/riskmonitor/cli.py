"""``bayfin risk …``: ingest evidence, score firms, read portraits, work the review queue and leads."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from bayfin.cli.context import cli_actor, open_platform
from bayfin.cli.output import JsonOption, emit, err_console, print_json, progress
from bayfin.kernel.errors import AppError
from bayfin.kernel.pagination import PageRequest
from bayfin.riskmonitor import leads as lead_service
from bayfin.riskmonitor import repository as repo
from bayfin.riskmonitor.readers import SOURCES
from bayfin.riskmonitor.service import IngestReport
from bayfin.riskmonitor.wiring import risk_monitor
from bayfin.riskmonitor.workflows import RISK_MANIFEST, evaluate, ingest_risk_directory
from bayfin.simulation.riskmonitor import generate_risk_region

cli_name = "risk"
app = typer.Typer(
    help="Regional financial-risk monitoring: evidence, index, portraits, leads.", no_args_is_help=True
)
leads_app = typer.Typer(help="Leads (线索): dispatch, investigate, confirm or dismiss.", no_args_is_help=True)
review_app = typer.Typer(
    help="Mentions that could not be linked to a firm with confidence.", no_args_is_help=True
)
app.add_typer(leads_app, name="leads")
app.add_typer(review_app, name="review")

REPORT_COLUMNS = [
    "source",
    "file",
    "rows_in",
    "stored",
    "duplicate",
    "quarantined",
    "linked",
    "for_review",
    "rescored",
]


def _fail(exc: AppError) -> typer.Exit:
    err_console.print(f"[red]{exc.title}[/red]: {exc.message}")
    return typer.Exit(1)


@app.command("generate")
def generate(
    directory: Path = typer.Argument(
        ..., help="The demo region's directory (same size and seed as its hub data)."
    ),
    enterprises: int = typer.Option(2000, help="Enterprises in the region."),
    seed: int = typer.Option(7, help="The region's seed."),
    as_json: bool = JsonOption,
) -> None:
    """Write the risk sources' deliveries over the demo population, with planted risky firms."""
    manifest = generate_risk_region(directory, enterprises, seed)
    rows = sum(f["rows"] for f in manifest["files"])
    emit(
        {"files": len(manifest["files"]), "rows": rows, "manifest": str(directory / RISK_MANIFEST)},
        as_json=as_json,
    )


@app.command("ingest")
def ingest(
    path: Path = typer.Argument(
        ..., exists=True, help=f"A delivery file, or a directory with {RISK_MANIFEST}."
    ),
    source: str = typer.Option(None, "--source", help=f"For one file: {', '.join(SOURCES)}."),
    as_of: str = typer.Option(None, "--as-of", help="Delivery as-of date (default: today)."),
    as_json: bool = JsonOption,
) -> None:
    """Ingest evidence (stored or quarantined with a reason); the firms it touches are re-scored at once."""
    try:
        with open_platform() as platform:
            if path.is_dir() and as_json:
                reports = ingest_risk_directory(platform, path)
            elif path.is_dir():
                with progress("ingesting risk deliveries") as advance:

                    def tick(name: str, _report: IngestReport) -> None:
                        advance(1, description=f"ingesting {name}")

                    reports = ingest_risk_directory(platform, path, on_file=tick)
            else:
                if source is None:
                    err_console.print("[red]--source is required for a single file[/red]")
                    raise typer.Exit(2)
                when = date.fromisoformat(as_of) if as_of else date.today()
                with platform.unit_of_work() as uow:
                    reports = [risk_monitor(platform).ingest(uow.session, path, source, when)]
                    uow.commit()
    except AppError as exc:
        raise _fail(exc) from exc
    except ValueError as exc:
        err_console.print(f"[red]invalid --as-of[/red]: {exc}")
        raise typer.Exit(2) from exc
    rows = [r.as_dict() for r in reports]
    if as_json:
        print_json(rows if path.is_dir() else rows[0])
        return
    emit(rows, as_json=False, title="batches", columns=REPORT_COLUMNS)
    alerts = [a for r in reports for a in r.alerts]
    err_console.print(f"{len(alerts)} level crossings, {sum(1 for a in alerts if a['lead_id'])} leads opened")


@app.command("score")
def score(
    code: list[str] = typer.Option(None, "--code", help="Only these firms (default: every firm)."),
    as_json: bool = JsonOption,
) -> None:
    """Score firms with the risk index; stores changed scores and raises alerts on level crossings."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        monitor = risk_monitor(platform)
        if code:
            stored, alerts = monitor.rescore(uow.session, code, trigger="cli")
            result: dict[str, Any] = {"scored": len(code), "stored": stored, "alerts": len(alerts)}
        else:
            result = monitor.score_all(uow.session)
        uow.commit()
    emit(result, as_json=as_json, title="scoring")


@app.command("watchlist")
def watchlist(
    minimum: str = typer.Option("high", help="Lowest level shown: attention, high or critical."),
    limit: int = typer.Option(50, help="Rows shown."),
    as_json: bool = JsonOption,
) -> None:
    """Firms at or above a level, highest index first."""
    with open_platform() as platform, platform.session_factory() as session:
        rows = lead_service.watchlist(session, minimum)[:limit]
    emit(
        rows,
        as_json=as_json,
        title="watchlist",
        columns=["credit_code", "score", "level", "categories", "trigger"],
    )


@app.command("portrait")
def portrait(
    code: str = typer.Argument(..., help="Unified social credit code."), as_json: bool = JsonOption
) -> None:
    """The enterprise risk portrait: profile, tags with evidence, index history, related firms, leads."""
    try:
        with open_platform() as platform, platform.unit_of_work() as uow:
            result = lead_service.portrait(uow.session, code)
            platform.audit.record(
                uow.session, actor=cli_actor(), action="riskmonitor.portrait", subject_type="enterprise",
                subject_id=result["credit_code"], purpose="risk monitoring",
            )  # fmt: skip
            uow.commit()
    except AppError as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(result)
        return
    current = result["current"]
    emit(
        {"credit_code": result["credit_code"], "score": current and current["score"],
         "level": current and current["level"], "categories": current and current["categories"],
         "trend": result["trend_points"], "estimates": current and current["estimates"]},
        as_json=False, title="portrait",
    )  # fmt: skip
    emit(
        result["tags"],
        as_json=False,
        title="tags",
        columns=["tag", "label", "method", "confidence", "source", "date", "snippet"],
    )
    emit((current and current["explanation"]) or [], as_json=False, title="what moved the index")
    emit(result["related_firms"], as_json=False, title="related firms")
    emit(result["leads"], as_json=False, title="leads", columns=["id", "status", "assignee", "score"])


@app.command("status")
def status(as_json: bool = JsonOption) -> None:
    """Each evidence batch: rows in = stored + duplicate + quarantined."""
    with open_platform() as platform, platform.session_factory() as session:
        rows = [
            {"source": b.source, "file": b.file_name, "as_of": b.as_of, "rows_in": b.rows_in,
             "stored": b.stored,
             "duplicate": b.duplicate, "quarantined": b.quarantined}
            for b in repo.batches(session)
        ]  # fmt: skip
    emit(rows, as_json=as_json, title="risk batches")


@app.command("evaluate")
def evaluate_command(
    directory: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="The demo region (with ground_truth/)."
    ),
    top: int = typer.Option(None, help="Top-k firms compared (default: as many as truly risky)."),
    as_json: bool = JsonOption,
) -> None:
    """Precision and recall of the top-ranked firms against the demo's planted risky firms."""
    with open_platform() as platform:
        result = evaluate(platform, directory, top)
    emit(result, as_json=as_json, title="evaluation")


@review_app.command("list")
def review_list(limit: int = typer.Option(50), as_json: bool = JsonOption) -> None:
    """Mentions awaiting review, with the candidates weighed."""
    with open_platform() as platform, platform.session_factory() as session:
        rows = [
            {"evidence_id": e.id, "source": e.source, "mention": e.mention, "confidence": e.link_confidence,
             "candidates": e.link_candidates[:3], "text": e.text[:60]}
            for e in repo.review_queue(session, PageRequest(limit=limit))[:limit]
        ]  # fmt: skip
    emit(rows, as_json=as_json, title="review queue")


@review_app.command("resolve")
def review_resolve(evidence_id: int, code: str, as_json: bool = JsonOption) -> None:
    """Link a mention to the firm an analyst found; the firm is tagged and re-scored."""
    try:
        with open_platform() as platform, platform.unit_of_work() as uow:
            evidence = risk_monitor(platform).resolve_mention(uow.session, evidence_id, code)
            uow.commit()
            result = {
                "evidence_id": evidence.id,
                "credit_code": evidence.credit_code,
                "status": evidence.review_status,
            }
    except AppError as exc:
        raise _fail(exc) from exc
    emit(result, as_json=as_json)


@leads_app.command("list")
def leads_list(
    status: str = typer.Option(None, help="Only leads in this state."), as_json: bool = JsonOption
) -> None:
    """Leads, newest first."""
    with open_platform() as platform, platform.session_factory() as session:
        rows = [lead_service.lead_view(lead) for lead in repo.leads(session, status=status)]
    emit(
        rows,
        as_json=as_json,
        title="leads",
        columns=["id", "credit_code", "status", "assignee", "score", "categories"],
    )


def _move(lead_id: str, to: str, assignee: str | None, note: str | None, as_json: bool) -> None:
    try:
        with open_platform() as platform, platform.unit_of_work() as uow:
            lead = lead_service.move_lead(
                uow.session, platform.clock, lead_id, to, actor=cli_actor(), assignee=assignee, note=note
            )
            platform.audit.record(
                uow.session, actor=cli_actor(), action=f"riskmonitor.lead_{to}", subject_type="enterprise",
                subject_id=lead.credit_code, details={"lead_id": lead.id},
            )  # fmt: skip
            uow.commit()
            result = lead_service.lead_view(lead)
    except AppError as exc:
        raise _fail(exc) from exc
    emit(result, as_json=as_json, title="lead")


@leads_app.command("dispatch")
def leads_dispatch(
    lead_id: str, to: str = typer.Option(..., "--to", help="District or agency."), as_json: bool = JsonOption
) -> None:
    """Hand a lead to a district or agency."""
    _move(lead_id, "dispatched", to, None, as_json)


@leads_app.command("investigate")
def leads_investigate(lead_id: str, as_json: bool = JsonOption) -> None:
    """The receiving agency starts investigating."""
    _move(lead_id, "investigating", None, None, as_json)


@leads_app.command("close")
def leads_close(
    lead_id: str,
    outcome: str = typer.Option(..., help="confirmed or dismissed"),
    note: str = typer.Option(None, help="What the investigation found."),
    as_json: bool = JsonOption,
) -> None:
    """Close a lead as confirmed or dismissed; the outcome feeds evaluation and retraining."""
    _move(lead_id, outcome, None, note, as_json)


@leads_app.command("outcomes")
def leads_outcomes(
    retrain: bool = typer.Option(False, help="Retrain the text classifier with closed leads' texts."),
    as_json: bool = JsonOption,
) -> None:
    """How closed leads turned out (the share confirmed); optionally retrain the classifier on them."""
    from bayfin.riskmonitor.classifier import train_classifier

    with open_platform() as platform, platform.session_factory() as session:
        result = lead_service.lead_outcomes(session)
        if retrain:
            texts, labels = lead_service.feedback_examples(session)
            risk_monitor(platform).use_classifier(train_classifier(extra=(texts, labels)))
            result["retrained_with"] = len(texts)
    emit(result, as_json=as_json, title="lead outcomes")
