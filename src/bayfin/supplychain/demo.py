"""Demo data: the region's graph deliveries written beside the hub's, ingested, signals raised once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from bayfin.kernel.platform import Platform
from bayfin.simulation.creditdata import build_population
from bayfin.simulation.supplychain.deliveries import write_region_graph
from bayfin.supplychain import service


def seed_demo(platform: Platform, workdir: Path, seed: int) -> dict[str, Any]:
    """Write (once) and ingest the graph deliveries of the demo region, then raise the signals."""
    manifest = orjson.loads((workdir / "manifest.json").read_bytes())
    if not (workdir / service.GRAPH_MANIFEST).is_file():
        write_region_graph(workdir, build_population(int(manifest["enterprises"]), seed), seed)
    cache = service.graph_cache(platform)
    with platform.unit_of_work() as uow:
        reports = service.ingest_directory(uow.session, workdir)
        uow.commit()
        graph = cache.refresh(uow.session)
        raised = service.run_signals(uow.session, graph, service.graph_last_month(graph))
        uow.commit()
    return {"deliveries": len(reports), "edges": graph.edge_count, "signals": len(raised)}
