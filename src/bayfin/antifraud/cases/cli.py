"""``bayfin fraud cases …``: the analyst queue from the command line (operator use, audited)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Literal

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, emit, err_console, print_table
from bayfin.kernel.tenancy import TenantScope

cases_app = typer.Typer(help="Analyst cases: open, list, assign, note, decide, stats, labels.",
                        no_args_is_help=True)
ACTOR = typer.Option("cli", help="Who is acting (recorded in the case history and the audit log).")


def _row(case: Any) -> dict[str, Any]:
    return {"id": case.id, "event_id": case.event_id, "priority": case.priority, "status": case.status,
            "amount_fen": case.amount_fen, "score": case.score, "assignee": case.assignee,
            "rules": ",".join(case.rules)}


def _audit(platform: Any, session: Any, actor: str, verb: str, case: Any, **details: Any) -> None:
    platform.audit.record(session, actor=actor, action=f"antifraud.case.{verb}", subject_type="fraud_case",
                          subject_id=str(case.id), purpose="fraud investigation",
                          details={"event_id": case.event_id, **details})


@cases_app.command("open-pending")
def open_pending(as_json: bool = JsonOption) -> None:
    """Open a case for every recorded REVIEW decision that has none (e.g. after a batched replay)."""
    from bayfin.antifraud.cases.service import open_pending_cases

    with open_platform() as platform, platform.unit_of_work() as uow:
        opened = open_pending_cases(uow.session)
        uow.commit()
    emit({"opened": opened}, as_json=as_json, title="cases opened")


@cases_app.command("list")
def list_cases(status: str = typer.Option("open", help="open, assigned, escalated, released, confirmed."),
               limit: int = typer.Option(20), as_json: bool = JsonOption) -> None:
    """The queue, highest priority first."""
    from bayfin.antifraud.cases.service import queue

    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = [_row(c) for c in queue(uow.session, status=status, scope=TenantScope.system("cli"),
                                         limit=limit)]
    if as_json:
        emit(rows, as_json=True)
    else:
        print_table(rows, title=f"fraud cases ({status})")


def _change(case_id: int, actor: str, verb: str, work: Any) -> dict[str, Any]:
    from bayfin.antifraud.cases.service import get_case
    from bayfin.kernel.errors import AppError

    with open_platform() as platform, platform.unit_of_work() as uow:
        try:
            case = get_case(uow.session, case_id, TenantScope.system(actor), change=True)
            details = work(uow.session, case) or {}
        except AppError as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        _audit(platform, uow.session, actor, verb, case, **details)
        uow.commit()
        return _row(case)


@cases_app.command("assign")
def assign_case(case_id: int = typer.Argument(...), to: str = typer.Option(..., help="Analyst."),
                actor: str = ACTOR, as_json: bool = JsonOption) -> None:
    """Give a case to an analyst."""
    from bayfin.antifraud.cases.service import assign

    emit(_change(case_id, actor, "assign", lambda s, c: assign(s, c, to, actor=actor) and None),
         as_json=as_json, title="case assigned")


@cases_app.command("note")
def note_case(case_id: int = typer.Argument(...), text: str = typer.Argument(...),
              contact: str | None = typer.Option(None, help="Log a customer contact on this channel."),
              actor: str = ACTOR, as_json: bool = JsonOption) -> None:
    """Add a note, or with --contact log a contact with the customer."""
    from bayfin.antifraud.cases.service import add_entry

    kind: Literal["note", "contact"] = "contact" if contact else "note"
    emit(_change(case_id, actor, kind, lambda s, c: add_entry(
        s, c, kind=kind, author=actor, text=text, details={"channel": contact} if contact else {}) and None),
         as_json=as_json, title=f"case {kind} added")


@cases_app.command("decide")
def decide(case_id: int = typer.Argument(...),
           action: str = typer.Argument(..., help="release|confirm|escalate"),
           note: str = typer.Option(""), actor: str = ACTOR, as_json: bool = JsonOption) -> None:
    """Release, confirm fraud or escalate."""
    from bayfin.antifraud.cases.service import decide_case

    if action not in ("release", "confirm", "escalate"):
        err_console.print("[red]action must be release, confirm or escalate[/red]")
        raise typer.Exit(2)
    emit(_change(case_id, actor, "decide", lambda s, c: decide_case(
        s, c, action, actor=actor, note=note) and {"action": action}),  # type: ignore[arg-type]
         as_json=as_json, title="case decided")


@cases_app.command("stats")
def stats(as_json: bool = JsonOption) -> None:
    """Counts by status, time to decision, confirm rate per rule."""
    from bayfin.antifraud.cases.service import case_statistics

    with open_platform() as platform, platform.unit_of_work() as uow:
        emit(case_statistics(uow.session, TenantScope.system("cli")), as_json=as_json,
             title="case statistics")


@cases_app.command("labels")
def export_labels(out: Path = typer.Argument(..., help="CSV: event_id, is_fraud, labelled_at.")) -> None:
    """Write analyst outcomes as labels for `fraud train` (joined to features by event id)."""
    from bayfin.antifraud.cases.service import labels

    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = labels(uow.session)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["event_id", "is_fraud", "labelled_at"])
        writer.writeheader()
        writer.writerows(rows)
    emit({"labels": len(rows), "file": str(out)}, as_json=False, title="labels written")
