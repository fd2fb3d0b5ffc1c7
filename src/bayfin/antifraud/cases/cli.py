"""``bayfin fraud cases …``: the analyst queue from the command line (operator use, audited)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Literal

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, emit, err_console, print_table
from bayfin.cli.serving import ProbePortOption, on_stop_signals, serving
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


def worker_command(
    nats_url: str = typer.Option(None, "--nats", help="NATS server with JetStream (default BAYFIN_NATS_URL, "
                                                      "else nats://127.0.0.1:4222)."),
    state: str = typer.Option("redis", help="Feature state: redis (shared between workers) or memory."),
    fail_closed: str = typer.Option("", help="Comma-separated channels held for review when degraded."),
    models: Path | None = typer.Option(None, help="Model registry (live + shadow, reloaded)."),
    stream: str = typer.Option("FRAUD_EVENTS", help="JetStream stream of events."),
    subject: str = typer.Option("bayfin.fraud.events", help="Subject the events are published on."),
    durable: str = typer.Option("fraud-deciders", help="Durable consumer shared by the workers."),
    probe_port: int = ProbePortOption,
) -> None:
    """Consume events from NATS JetStream, decide, store and publish the decisions. SIGTERM or Ctrl-C
    drains: the batch in hand is decided, stored and acknowledged, then the process exits 0."""
    import asyncio

    from bayfin.antifraud.engine.degraded import DegradedPolicy
    from bayfin.antifraud.engine.state import InMemoryStateStore
    from bayfin.antifraud.settings import FraudSettings
    from bayfin.antifraud.wiring import build_service, nats_stream, shared_state
    from bayfin.antifraud.worker import WorkerConfig, run_worker
    from bayfin.kernel.observability import Check, database_check, redis_check

    with open_platform() as platform:
        settings = FraudSettings() if models is None else FraudSettings(models_dir=models)
        store: Any = InMemoryStateStore()
        checks: dict[str, Check] = {"database": database_check(platform.engine)}
        if state == "redis":
            if not platform.settings.redis_url:
                err_console.print("[red]--state redis needs BAYFIN_REDIS_URL[/red]")
                raise typer.Exit(2)
            store = shared_state(platform.settings.redis_url, settings, fallback=True)
            checks["redis"] = redis_check(platform.settings.redis_url)
        service = build_service(settings, platform.session_factory, store=store)
        service.engine.degraded_policy = DegradedPolicy(frozenset(c for c in fail_closed.split(",") if c))

        config = WorkerConfig(nats_url=nats_url or platform.settings.nats_url or "nats://127.0.0.1:4222",
                              stream=stream, subject=subject, durable=durable)
        connection: list[Any] = []

        def nats_connected(_timeout: float) -> None:
            if not connection or not connection[0].is_connected:
                raise ConnectionError("the worker's NATS connection is down")

        checks["nats"] = nats_connected
        with serving(platform, "bayfin-fraud-worker", checks, probe_port) as probe:

            def ready(nc: Any) -> None:
                connection.append(nc)
                if probe is not None:
                    probe.serving = True

            async def main() -> int:
                stop = asyncio.Event()
                on_stop_signals(stop.set, asyncio.get_running_loop())
                try:
                    return await run_worker(service, platform.session_factory, config, stop, on_ready=ready,
                                            open_stream=nats_stream)
                finally:
                    if probe is not None:
                        probe.serving = False

            acked = asyncio.run(main())
    emit({"acknowledged": acked}, as_json=False, title="worker stopped")
