"""``bayfin fraud …``: serve, replay, simulate, rules, lists, totals, types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, console, emit, err_console, print_json, progress
from bayfin.cli.serving import ProbePortOption, on_stop_signals, serving
from bayfin.kernel.tenancy import TenantScope

cli_name = "fraud"
app = typer.Typer(
    help="Real-time anti-fraud (网御): decisions, rules, lists, replay, simulation.", no_args_is_help=True
)
rules_app = typer.Typer(help="Rule sets: validate, list.", no_args_is_help=True)
lists_app = typer.Typer(help="Block, allow and watch lists.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(lists_app, name="lists")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Bind address."),
    port: int = typer.Option(8000, help="Port."),
    workers: int = typer.Option(1, help="Worker processes (share state only with --state redis)."),
    state: str = typer.Option("memory", help="Feature state: memory or redis."),
    rules_dir: Path = typer.Option(None, help="Rule-set directory (hot-reloaded when files change)."),
) -> None:
    """Run the API with decisions recorded in batches off the request path."""
    from bayfin.antifraud.settings import FraudSettings
    from bayfin.cli.serving import run_api
    from bayfin.kernel.settings import get_settings

    if workers > 1 and state != "redis":
        err_console.print(
            "[yellow]several workers with in-memory state each see part of the traffic; "
            "use --state redis to share it[/yellow]"
        )
    run_api(host, port, workers, get_settings().data_dir,
            overrides={FraudSettings: serve_overrides(state, rules_dir)})


def serve_overrides(state: str, rules_dir: Path | None) -> dict[str, Any]:
    """The anti-fraud settings ``fraud serve`` runs with: decisions written in batches, every rule group
    compiled at start, the given state and rules; the collector tuned unless BAYFIN_FRAUD_TUNE_GC says."""
    from bayfin.antifraud.settings import FraudSettings

    overrides: dict[str, Any] = {"write_mode": "batched", "warm_rules": True, "state": state}
    if "tune_gc" not in FraudSettings().model_fields_set:
        overrides["tune_gc"] = True
    if rules_dir is not None:
        overrides["rules_dir"] = rules_dir.resolve()
    return overrides


@app.command("replay")
def replay_command(
    path: Path = typer.Argument(..., help="An events file or a directory of events-*.parquet."),
    limit: int = typer.Option(None, help="Stop after this many events."),
    record: bool = typer.Option(True, help="Record every decision in the database."),
    state: str = typer.Option("memory", help="Feature state: memory or redis."),
    as_json: bool = JsonOption,
) -> None:
    """Decide every event of a file in time order; report outcomes, throughput and label agreement."""
    from bayfin.antifraud.decisions.service import DecisionWriter, decision_row
    from bayfin.antifraud.engine.eventfile import count_rows
    from bayfin.antifraud.learning.replay import replay
    from bayfin.antifraud.settings import FraudSettings
    from bayfin.antifraud.wiring import build_service

    total = count_rows(path) if limit is None else limit
    with open_platform() as platform:
        settings = FraudSettings(state=state, write_mode="inline", warm_rules=True, reload_seconds=0)
        service = build_service(settings, platform.session_factory, redis_url=platform.settings.redis_url)
        service.refresh_lists()
        writer = DecisionWriter(platform.session_factory, batch_size=2_000,
                                announcer=service.announcer) if record else None
        now = datetime.now(UTC)
        try:
            with progress("replaying", total) as advance:
                report = replay(
                    path,
                    service.engine,
                    limit=limit,
                    progress=advance,
                    on_decision=(lambda d: writer.submit(decision_row(d, None, now))) if writer else None,
                )
        finally:
            if writer is not None:
                writer.close()
            service.close()
    result = report.as_dict()
    result["recorded"] = writer.written if writer else 0
    if as_json:
        print_json(result)
        return
    emit(
        {k: v for k, v in result.items() if k not in ("outcomes", "by_scenario", "first_errors")},
        as_json=False,
        title="replay",
    )
    emit(
        [{"outcome": k, "decisions": v} for k, v in result["outcomes"].items()],
        as_json=False,
        title="outcomes",
    )
    if result["by_scenario"]:
        emit(
            [{"scenario": k, **v} for k, v in result["by_scenario"].items()],
            as_json=False,
            title="labelled fraud caught (REVIEW or BLOCK)",
        )


@app.command("simulate")
def simulate_command(
    out: Path = typer.Argument(..., help="Output directory."),
    customers: int = typer.Option(1000, help="Customers."),
    days: int = typer.Option(7, help="Days."),
    seed: int = typer.Option(0, help="Random seed: the same seed gives the same files."),
    profile: str = typer.Option("bank", help="bank (our events) or handbook (Le Borgne et al.)."),
    terminals: int = typer.Option(10_000, help="Terminals (handbook profile)."),
    fraud_rate: float = typer.Option(1.0, help="Multiplier on scenario rates (bank profile)."),
    as_json: bool = JsonOption,
) -> None:
    """Write a labelled, reproducible stream of events with injected fraud scenarios."""
    if profile == "handbook":
        from bayfin.simulation.antifraud.handbook import simulate_handbook

        with progress("simulating (handbook)", 5) as advance:
            summary = simulate_handbook(
                out,
                customers=customers,
                terminals=terminals,
                days=days,
                seed=seed,
                on_step=lambda _name: advance(),
            )
    elif profile == "bank":
        from bayfin.simulation.antifraud.simulator import simulate

        with progress("simulating days", days) as advance:
            summary = simulate(
                out,
                customers=customers,
                days=days,
                seed=seed,
                fraud_rate=fraud_rate,
                on_day=lambda _i, _n: advance(),
            )
    else:
        err_console.print("[red]--profile must be bank or handbook[/red]")
        raise typer.Exit(2)
    emit(summary, as_json=as_json, title=f"simulation written to {out}")


@rules_app.command("validate")
def rules_validate(
    directory: Path = typer.Argument(None, help="Rule-set directory (default: shipped rules)."),
    as_json: bool = JsonOption,
) -> None:
    """Compile every rule and run its firing and quiet cases; exit 1 on any error or failed case."""
    from bayfin.antifraud.engine.rulelang import RuleSyntaxError
    from bayfin.antifraud.engine.ruleset import load_ruleset
    from bayfin.antifraud.engine.ruletests import run_rule_tests

    try:
        ruleset = load_ruleset(directory)
    except RuleSyntaxError as exc:
        err_console.print(f"[red]invalid:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    results = run_rule_tests(ruleset)
    failed = [r for r in results if not r.passed]
    typology_of = {r.id: r.typology for r in ruleset.rules}
    summary = [
        {
            "typology": t,
            "rules": sum(1 for r in ruleset.rules if r.typology == t),
            "active": sum(1 for r in ruleset.rules if r.typology == t and r.mode == "active"),
            "shadow": sum(1 for r in ruleset.rules if r.typology == t and r.mode == "shadow"),
            "cases_passed": sum(1 for c in results if c.passed and typology_of[c.rule_id] == t),
        }
        for t in ruleset.typologies
    ]
    if as_json:
        print_json(
            {
                "version": ruleset.version,
                "rules": len(ruleset.rules),
                "typologies": summary,
                "failures": [f.__dict__ for f in failed],
            }
        )
    else:
        emit(summary, as_json=False, title=f"{ruleset.name} {ruleset.version}: {len(ruleset.rules)} rules")
        if failed:
            emit([f.__dict__ for f in failed], as_json=False, title="failed cases")
        else:
            console.print(f"[green]all {len(results)} rule cases pass[/green]")
    if failed:
        raise typer.Exit(1)


@rules_app.command("list")
def rules_list(
    typology: str = typer.Option(None, help="Only this typology."),
    directory: Path = typer.Option(None, help="Rule-set directory."),
    as_json: bool = JsonOption,
) -> None:
    """The rules with their score or action, scope and mode."""
    from bayfin.antifraud.engine.ruleset import load_ruleset

    ruleset = load_ruleset(directory)
    rows = [
        {
            "id": r.id,
            "typology": r.typology,
            "mode": r.mode,
            "score": r.score,
            "action": r.action.name if r.action else "",
            "reason": r.reason,
            "name": r.name,
        }
        for r in ruleset.rules
        if typology is None or r.typology == typology
    ]
    emit(rows, as_json=as_json, title=f"{len(rows)} rules")


@app.command("types")
def types_command(
    channel: str = typer.Option(None, help="Only this channel."),
    business: str = typer.Option(None, help="Only this business line."),
    as_json: bool = JsonOption,
) -> None:
    """The transaction-type catalogue (channel × business × sub-type)."""
    from bayfin.antifraud.engine.catalogue import load_catalogue

    catalogue = load_catalogue()
    rows = [
        {"code": code, "flow": catalogue.types[code].flow, "sensitive": catalogue.types[code].sensitive}
        for code in catalogue.codes(channel=channel, business=business)
    ]
    emit(rows, as_json=as_json, title=f"{len(rows)} transaction types")


@app.command("totals")
def totals_command(
    by: str = typer.Option("typology", help="typology, channel, outcome or type."),
    days: int = typer.Option(None, help="Only decisions of the last N days."),
    as_json: bool = JsonOption,
) -> None:
    """Decisions, blocks and the amount protected, grouped."""
    from bayfin.antifraud.decisions import repository
    from bayfin.kernel.money import fen_to_yuan

    if by not in repository.GROUPS:
        err_console.print(f"[red]--by must be one of {', '.join(repository.GROUPS)}[/red]")
        raise typer.Exit(2)
    since = datetime.now(UTC) - timedelta(days=days) if days else None
    with open_platform() as platform, platform.unit_of_work() as uow:
        totals = repository.totals(uow.session, by=by, since=since, until=None,
                                   scope=TenantScope.system("cli"))
    rows: list[dict[str, Any]] = [dict(r) for r in totals]
    if not as_json:
        rows = [
            {
                **{k: v for k, v in r.items() if not k.endswith("_fen")},
                "amount_yuan": fen_to_yuan(r["amount_fen"]),
                "protected_yuan": fen_to_yuan(r["amount_protected_fen"]),
            }
            for r in rows
        ]
    emit(rows, as_json=as_json, title=f"fraud decisions by {by}")


@lists_app.command("add")
def lists_add(
    kind: str = typer.Argument(..., help="block, allow or watch."),
    entity_type: str = typer.Argument(..., help="device, ip, account, beneficiary, customer or card."),
    value: str = typer.Argument(...),
    reason: str = typer.Option(..., help="Why (kept with the entry)."),
    days: float = typer.Option(None, help="Expire after this many days (default: never)."),
    actor: str = typer.Option("cli", help="Who adds it (recorded in the audit log)."),
) -> None:
    """Put a value on a list."""
    from bayfin.antifraud.wiring import fraud_service

    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    with open_platform() as platform, platform.unit_of_work() as uow:
        entry = fraud_service(platform).add_list_entry(
            uow.session,
            TenantScope.system(actor),  # the platform's own entry: shared with every bank
            kind=kind,
            entity_type=entity_type,
            value=value,
            reason=reason,
            expires_at=expires,
        )
        platform.audit.record(
            uow.session,
            actor=actor,
            action="antifraud.list.add",
            subject_type=f"fraud_list_{entity_type}",
            subject_id=str(entry.id),
            details={"kind": kind, "entity_type": entity_type},
        )
        uow.commit()
        console.print(f"[green]added[/green] entry {entry.id}")


@lists_app.command("remove")
def lists_remove(entry_id: int = typer.Argument(...), actor: str = typer.Option("cli")) -> None:
    """Take an entry off its list."""
    from bayfin.antifraud.wiring import fraud_service

    with open_platform() as platform, platform.unit_of_work() as uow:
        entry = fraud_service(platform).remove_list_entry(uow.session, TenantScope.system(actor), entry_id)
        platform.audit.record(
            uow.session,
            actor=actor,
            action="antifraud.list.remove",
            subject_type=f"fraud_list_{entry.entity_type}",
            subject_id=str(entry_id),
            details={"kind": entry.kind},
        )
        uow.commit()
    console.print(f"[green]removed[/green] entry {entry_id}")


@lists_app.command("show")
def lists_show(
    kind: str = typer.Option(None, help="Only block, allow or watch."), as_json: bool = JsonOption
) -> None:
    """The unexpired list entries."""
    from bayfin.antifraud.lists import repository as list_store

    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = [
            {
                "id": e.id,
                "kind": e.kind,
                "entity_type": e.entity_type,
                "value": e.value,
                "reason": e.reason,
                "expires_at": e.expires_at,
                "institution_id": e.institution_id,
                "shared": e.shared,
            }
            for e in list_store.active_list_entries(uow.session, datetime.now(UTC), TenantScope.system("cli"),
                                                    kind)
        ]
    emit(rows, as_json=as_json, title="list entries")


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
        section = platform.section(FraudSettings)
        settings = section if models is None else section.model_copy(update={"models_dir": models})
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


def _mount_learning() -> None:
    # the learning commands live in their own file: they pull in LightGBM only when run
    from bayfin.antifraud.cases.cli import cases_app
    from bayfin.antifraud.learning.cli import (
        backtest_command,
        evaluate_command,
        models_app,
        shadow_report_command,
        train_command,
    )

    app.command("train")(train_command)
    app.command("evaluate")(evaluate_command)
    app.command("backtest")(backtest_command)
    app.command("shadow-report")(shadow_report_command)
    app.add_typer(models_app, name="models")
    app.add_typer(cases_app, name="cases")
    app.command("worker")(worker_command)


_mount_learning()
