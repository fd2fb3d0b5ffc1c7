"""Whole-region work: ingest a region's risk deliveries, evaluate the index on the planted truth.

The deliveries themselves are written by :func:`bayfin.simulation.riskmonitor.generate_risk_region`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from bayfin.kernel.ingest import read_manifest
from bayfin.kernel.platform import Platform
from bayfin.riskmonitor import repository as repo
from bayfin.riskmonitor.service import IngestReport
from bayfin.riskmonitor.wiring import risk_monitor

RISK_MANIFEST = "risk_manifest.json"
#: Sources ingested first: the licence register (so licensed firms are known) then the filed web pages
#: (so their phones can link hotline mentions).
_ORDER = {"risk_licences": 0, "risk_web": 1, "risk_police": 2, "risk_hotline": 3}


def ingest_risk_directory(
    platform: Platform, directory: Path, on_file: Callable[[str, IngestReport], None] | None = None
) -> list[IngestReport]:
    """Ingest every file of ``risk_manifest.json``, one transaction per file, in source order then date."""
    entries = sorted(
        read_manifest(directory, RISK_MANIFEST), key=lambda e: (_ORDER.get(e.source, 9), e.as_of, e.listed_as)
    )
    monitor = risk_monitor(platform)
    reports = []
    for entry in entries:
        with platform.unit_of_work() as uow:
            report = monitor.ingest(uow.session, entry.path, entry.source, entry.as_of)
            uow.commit()
        reports.append(report)
        if on_file is not None:
            on_file(entry.listed_as, report)
    return reports


def precision_recall_at(ranked: list[str], truth: set[str], k: int) -> dict[str, Any]:
    """Precision and recall of the top ``k`` ranked firms against the truly risky set."""
    top = ranked[:k]
    hits = sum(1 for code in top if code in truth)
    return {
        "k": k,
        "hits": hits,
        "precision": round(hits / len(top), 3) if top else 0.0,
        "recall": round(hits / len(truth), 3) if truth else 0.0,
        "truly_risky": len(truth),
    }


def evaluate(platform: Platform, directory: Path, k: int | None = None) -> dict[str, Any]:
    """Rank firms by their latest index and compare with the demo's planted risky firms."""
    truth_frame = pl.read_csv(directory / "ground_truth" / "risk_firms.csv")
    truth = set(truth_frame["credit_code"].to_list())
    with platform.unit_of_work() as uow:
        scores = [(s.credit_code, s.score, s.level) for s in repo.latest_scores(uow.session).values()]
    ranked = [code for code, _score, _level in sorted(scores, key=lambda s: -s[1])]
    k = k or len(truth)
    flagged = {code for code, _score, level in scores if level in ("high", "critical")}
    result = precision_recall_at(ranked, truth, k)
    result["high_or_critical"] = {
        "firms": len(flagged),
        "precision": round(len(flagged & truth) / len(flagged), 3) if flagged else 0.0,
        "recall": round(len(flagged & truth) / len(truth), 3) if truth else 0.0,
    }
    return result
