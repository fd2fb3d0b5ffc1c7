"""``bayfin hub …``: ingest deliveries, watch batches and quarantine, read an enterprise's record."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, console, emit, err_console, print_json, progress
from bayfin.creditdata import service
from bayfin.creditdata.domain import EnterpriseRecord
from bayfin.creditdata.workflows import ManifestEntry, ingest_directory, ingest_path, read_manifest
from bayfin.kernel.errors import AppError

cli_name = "hub"
app = typer.Typer(help="The enterprise credit data hub (粤信融 data gathering).", no_args_is_help=True)
quarantine_app = typer.Typer(help="Rows the hub refused, with their reasons.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")

COUNT_COLUMNS = ["source", "file", "as_of", "rows_in", "stored", "updated", "unchanged", "quarantined"]


def _fail(exc: AppError) -> typer.Exit:
    err_console.print(f"[red]{exc.title}[/red]: {exc.message}")
    return typer.Exit(1)


@app.command("ingest")
def ingest(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Delivery file."),
    source: str = typer.Option(..., "--source", help="Mapping name (e.g. tax_prd) or a mapping .yaml."),
    as_of: str = typer.Option(None, "--as-of", help="Delivery as-of date (default: today)."),
    as_json: bool = JsonOption,
) -> None:
    """Ingest one delivery file as one batch."""
    try:
        when = date.fromisoformat(as_of) if as_of else date.today()
        with open_platform() as platform:
            report = ingest_path(platform, path, source, when)
    except AppError as exc:
        raise _fail(exc) from exc
    except ValueError as exc:
        err_console.print(f"[red]invalid --as-of[/red]: {exc}")
        raise typer.Exit(2) from exc
    emit(report.as_dict(), as_json=as_json, title="batch")


@app.command("ingest-all")
def ingest_all(
    directory: Path = typer.Argument(..., exists=True, file_okay=False, help="Delivery directory."),
    as_json: bool = JsonOption,
) -> None:
    """Ingest every delivery named by the directory's manifest.json, file by file."""
    try:
        with open_platform() as platform:
            entries = read_manifest(directory)
            with progress("ingesting deliveries", total=len(entries)) as advance:

                def tick(entry: ManifestEntry, _report: service.BatchReport) -> None:
                    advance(1, description=f"ingesting {entry.path.name}")

                reports = ingest_directory(platform, directory, on_file=tick)
    except AppError as exc:
        raise _fail(exc) from exc
    rows = [r.as_dict() for r in reports]
    if as_json:
        print_json(rows)
        return
    totals = {
        k: sum(r[k] for r in rows) for k in ("rows_in", "stored", "updated", "unchanged", "quarantined")
    }
    emit(
        totals,
        as_json=False,
        title=f"{len(rows)} deliveries ({sum(r['already_ingested'] for r in rows)} already ingested)",
    )


@app.command("status")
def status(
    as_json: bool = JsonOption, limit: int = typer.Option(50, help="Most recent batches shown.")
) -> None:
    """Each batch's counts (rows in = stored + updated + unchanged + quarantined) and totals."""
    with open_platform() as platform, platform.session_factory() as session:
        result = service.hub_status(session, limit=limit)
    if as_json:
        print_json(result)
        return
    emit(result["batches"], as_json=False, title="batches", columns=COUNT_COLUMNS)
    emit(result["totals"], as_json=False, title="totals")
    emit(result["quarantine_by_reason"], as_json=False, title="quarantine by reason")


@quarantine_app.command("list")
def quarantine_list(
    source: str = typer.Option(None, help="Only this source."),
    batch: str = typer.Option(None, help="Only this batch id."),
    reason: str = typer.Option(None, help="Only this reason code."),
    limit: int = typer.Option(50, help="Rows shown."),
    as_json: bool = JsonOption,
) -> None:
    """Quarantined rows with source, batch, row number, reason and raw content."""
    with open_platform() as platform, platform.session_factory() as session:
        rows = service.quarantine_rows(session, source=source, batch_id=batch, reason=reason, limit=limit)
    emit(
        rows,
        as_json=as_json,
        title="quarantined rows",
        columns=["source", "batch_id", "row_number", "reason", "message", "raw"],
    )


def _flatten(record: EnterpriseRecord) -> list[dict[str, Any]]:
    rows = []
    reg = record["registration"]
    if reg:
        for k, v in reg["values"].items():
            rows.append(
                {
                    "domain": "registration",
                    "key": "",
                    "field": k,
                    "value": v,
                    "source": reg["source"],
                    "as_of": reg["as_of"],
                }
            )
    for domain, items in record["domains"].items():
        for item in items:
            for k, v in item["values"].items():
                rows.append(
                    {
                        "domain": domain,
                        "key": item["record_key"],
                        "field": k,
                        "value": v,
                        "source": item["source"],
                        "as_of": item["as_of"],
                    }
                )
    return rows


@app.command("show")
def show(
    credit_code: str = typer.Argument(..., help="18-character unified social credit code."),
    as_of: str = typer.Option(None, "--as-of", help="Show the record as known on this date."),
    history: bool = typer.Option(False, help="Include superseded values."),
    as_json: bool = JsonOption,
) -> None:
    """An enterprise's standard record, every value with its source and as-of date."""
    try:
        when = date.fromisoformat(as_of) if as_of else None
        with open_platform() as platform, platform.session_factory() as session:
            record = service.enterprise_record(session, credit_code, when, history=history)
    except AppError as exc:
        raise _fail(exc) from exc
    except ValueError as exc:
        err_console.print(f"[red]invalid --as-of[/red]: {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        print_json(record)
        return
    console.print(f"[bold]{record['credit_code']}[/bold]" + (f" as of {when}" if when else ""))
    emit(_flatten(record), as_json=False, title="standard record")
