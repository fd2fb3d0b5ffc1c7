"""Ingest workflows that own their transactions (one per delivery file), for the CLI and the demo.

A whole delivery directory is ingested file by file in ``manifest.json`` order; each file commits on its
own, so an interrupted run resumes where it stopped: finished files are recognised by their hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.service import BatchReport, ingest_file
from bayfin.kernel.errors import NotFound, ValidationFailed
from bayfin.kernel.platform import Platform

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ManifestEntry:
    """One delivery file named by the manifest: where, from which source, known as of which date."""

    path: Path
    source: str
    as_of: date
    rows: int | None = None


def read_manifest(directory: Path) -> list[ManifestEntry]:
    """The deliveries listed in ``directory/manifest.json``, in delivery order."""
    file = directory / MANIFEST
    if not file.is_file():
        raise NotFound(f"{directory} has no {MANIFEST}")
    try:
        doc: dict[str, Any] = orjson.loads(file.read_bytes())
        return [
            ManifestEntry(directory / e["path"], e["source"], date.fromisoformat(e["as_of"]), e.get("rows"))
            for e in doc["files"]
        ]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(f"{file} is not a valid manifest: {exc}") from exc


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
