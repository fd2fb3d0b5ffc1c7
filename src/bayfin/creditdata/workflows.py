"""Ingest workflows that own their transactions (one per delivery file), for the CLI and the demo.

A whole delivery directory is ingested file by file in ``manifest.json`` order; each file commits on its
own, so an interrupted run resumes where it stopped: finished files are recognised by their hash.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.service import BatchReport, ingest_file
from bayfin.kernel.ingest import ManifestEntry, read_manifest
from bayfin.kernel.platform import Platform


def ingest_path(platform: Platform, path: Path, source: str, as_of: date) -> BatchReport:
    """Ingest one file as one committed batch."""
    mapping = load_mapping(source)
    with platform.unit_of_work() as uow:
        report = ingest_file(uow.session, path, mapping, as_of, clock=platform.clock)
        uow.commit()
    return report


def ingest_directory(
    platform: Platform, directory: Path, on_file: Callable[[ManifestEntry, BatchReport], None] | None = None
) -> list[BatchReport]:
    """Ingest every delivery of a manifest, each file in its own transaction."""
    reports = []
    for entry in read_manifest(directory):
        report = ingest_path(platform, entry.path, entry.source, entry.as_of)
        reports.append(report)
        if on_file is not None:
            on_file(entry, report)
    return reports


__all__ = ["ManifestEntry", "ingest_directory", "ingest_path", "read_manifest"]
