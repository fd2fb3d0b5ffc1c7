"""``bayfin graph …``: ingest graph deliveries, and ask the supply-chain graph its questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, emit, err_console, print_json, progress
from bayfin.kernel.errors import AppError
from bayfin.simulation.creditdata import build_population
from bayfin.simulation.supplychain.deliveries import write_region_graph
from bayfin.supplychain import service, views
from bayfin.supplychain.ingest import GraphBatchReport
from bayfin.supplychain.svg import render_ego_svg

cli_name = "graph"
app = typer.Typer(help="Supply-chain and association graph (供应链信用).", no_args_is_help=True)


def _fail(exc: AppError) -> typer.Exit:
    err_console.print(f"[red]{exc.title}[/red]: {exc.message}")
    return typer.Exit(1)


def _with_graph(fn: Any) -> Any:
    """Open the platform, load the graph, call ``fn(session, graph)``; AppErrors exit 1."""
    try:
        with open_platform() as platform, platform.unit_of_work() as uow:
            graph = service.graph_cache(platform).refresh(uow.session)
            result = fn(uow.session, graph)
            uow.commit()
            return result
    except AppError as exc:
        raise _fail(exc) from exc


@app.command("generate")
def generate(
    out_dir: Path = typer.Argument(..., help="A region directory written by `bayfin demo generate`."),
    enterprises: int = typer.Option(2000, help="Enterprises in the region (the same as generated)."),
    seed: int = typer.Option(7, help="The region's seed."),
) -> None:
    """Add the graph deliveries (invoices, holdings, guarantees, contacts, transfers) to a region."""
    region = write_region_graph(out_dir, build_population(enterprises, seed), seed)
    emit({"files": len(region.entries), "rows": sum(e["rows"] for e in region.entries)}, as_json=False)


@app.command("build")
def build(
    directory: Path = typer.Argument(None, help="Ingest this region's graph deliveries first."),
    as_json: bool = JsonOption,
) -> None:
    """Ingest graph deliveries (if a directory is given) and build the graph; prints what it holds."""
    try:
        with open_platform() as platform, platform.unit_of_work() as uow:
            reports: list[GraphBatchReport] = []
            if directory is not None:
                with progress("ingesting graph deliveries") as advance:
                    reports = service.ingest_directory(
                        uow.session, directory, on_file=lambda r: advance(1, description=r.file_name)
                    )
            uow.commit()
            graph = service.graph_cache(platform).refresh(uow.session)
    except AppError as exc:
        raise _fail(exc) from exc
    summary = {
        "deliveries": len(reports),
        "already_ingested": sum(r.already_ingested for r in reports),
        "rows_in": sum(r.rows_in for r in reports),
        "stored": sum(r.stored for r in reports),
        "updated": sum(r.updated for r in reports),
        "unchanged": sum(r.unchanged for r in reports),
        "quarantined": sum(r.quarantined for r in reports),
        "reconciles": all(r.reconciles for r in reports),
        "nodes": len(graph.ids),
        "edges": graph.edge_count,
    }
    emit(summary, as_json=as_json, title="graph")


@app.command("chain")
def chain(
    core: str = typer.Argument(..., help="Credit code of the core enterprise."),
    hops: int = typer.Option(2, min=1, max=5),
    min_share: float = typer.Option(0.0, help="Leave out firms carrying less of the core's flow."),
    as_json: bool = JsonOption,
) -> None:
    """A core enterprise's upstream and downstream tiers by share of flow."""

    def run(_session: Any, graph: Any) -> dict[str, Any]:
        code = service.require_party(graph, core)
        return views.chain_view(graph, code, hops, min_share, service.graph_last_month(graph))

    data = _with_graph(run)
    if as_json:
        print_json(data)
        return
    emit({k: v for k, v in data.items() if k not in ("upstream", "downstream")}, as_json=False, title="core")
    for direction in ("upstream", "downstream"):
        emit(
            data[direction],
            as_json=False,
            title=direction,
            columns=["tier", "credit_code", "via", "share", "amount_fen", "stability"],
        )


@app.command("group")
def group(
    credit_code: str = typer.Argument(None, help="An enterprise; without it, every group."),
    as_json: bool = JsonOption,
) -> None:
    """Association groups: enterprises under common control."""

    def run(_session: Any, graph: Any) -> Any:
        if credit_code is None:
            return views.groups_view(graph)
        return views.group_of(graph, service.require_party(graph, credit_code)) or []

    data = _with_graph(run)
    rows = data if isinstance(data, list) else [data]
    if as_json:
        print_json(data)
        return
    emit(
        [{"members": " ".join(g["members"]), "controllers": " ".join(g["controllers"])} for g in rows],
        as_json=False,
        title="association groups",
    )


@app.command("circles")
def circles(
    rings: bool = typer.Option(False, "--trading", help="Circular trading (invoice rings) instead."),
    as_json: bool = JsonOption,
) -> None:
    """Guarantee circles with the amounts at stake, or suspected circular trading."""
    data = _with_graph(lambda _s, g: views.rings_view(g) if rings else views.circles_view(g))
    if as_json:
        print_json(data)
        return
    emit(
        [{**row, "firms": " → ".join(row["firms"])} for row in data],
        as_json=False,
        title="circular trading" if rings else "guarantee circles",
    )


@app.command("contagion")
def contagion(
    defaulted: list[str] = typer.Argument(..., help="Credit codes of the firms that default."),
    subject: str = typer.Option(None, help="Explain this firm's exposure only."),
    top: int = typer.Option(20),
    as_json: bool = JsonOption,
) -> None:
    """DebtRank from the given defaults: the most exposed firms and the neighbours that drive it."""
    data = _with_graph(
        lambda _s, g: views.contagion_view(
            g,
            [service.require_party(g, d) for d in defaulted],
            subject and service.require_party(g, subject),
            top,
        )
    )
    if as_json:
        print_json(data)
        return
    emit(
        [
            {
                "credit_code": e["credit_code"],
                "exposure": e["exposure"],
                "drivers": ", ".join(f"{d['credit_code']} ({d['channel']})" for d in e["drivers"]),
            }
            for e in data["exposed"]
        ],
        as_json=False,
        title=f"exposure after {data['rounds']} rounds",
    )


@app.command("signals")
def signals(
    month: str = typer.Option(None, help="Month to check (YYYY-MM); default the latest with data."),
    as_json: bool = JsonOption,
) -> None:
    """Raise the month's new risk signals (flow drops, dishonest counterparties, capacity, new circles)."""
    data = _with_graph(
        lambda s, g: [
            {"kind": x.kind, "subject": x.subject, "month": x.month, "details": x.details}
            for x in service.run_signals(s, g, month or service.graph_last_month(g))
        ]
    )
    if as_json:
        print_json(data)
        return
    emit([{**row, "details": str(row["details"])[:80]} for row in data], as_json=False, title="new signals")


@app.command("offers")
def offers(core: str = typer.Argument(..., help="Core enterprise."), as_json: bool = JsonOption) -> None:
    """Receivable-finance offers for the suppliers of a core enterprise (limit and rate)."""
    from bayfin.supplychain.risk import receivable_offers

    data = _with_graph(
        lambda _s, g: receivable_offers(g, service.require_party(g, core), service.graph_last_month(g))
    )
    emit(
        data,
        as_json=as_json,
        title="supply-chain finance offers",
        columns=None if as_json else ["supplier", "tier", "limit_fen", "annual_rate", "stability"],
    )


@app.command("picture")
def picture(
    credit_code: str = typer.Argument(...),
    out: Path = typer.Option(..., "--out", help="SVG file to write."),
    radius: int = typer.Option(1, min=1, max=3),
) -> None:
    """Draw an enterprise's ego network as SVG."""
    svg = _with_graph(
        lambda _s, g: render_ego_svg(views.ego_view(g, service.require_party(g, credit_code), radius))
    )
    out.write_text(svg, encoding="utf-8")
    emit({"written": str(out), "bytes": len(svg)}, as_json=False)
