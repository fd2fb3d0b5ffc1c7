"""The delivery-ingest kit shared by the modules that load department files (hub, graph, risk evidence).

Each of them records a delivery file as one *batch* (source, file name, SHA-256 of the content, as-of
date, what became of its rows) and the rows it could not store in a *quarantine* table; a file whose
``(source, file_sha256)`` is already recorded was loaded before and is not loaded again; the files of
a region are listed in a JSON manifest. The table mixins give the columns every module's tables share
(each module keeps its own table names and extra columns); the functions give the hash, the
"already loaded" check and the manifest reader.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import BigInteger, Date, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from bayfin.kernel.errors import NotFound, ValidationFailed

_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class BatchColumns:
    """Columns of a delivery batch table; ``(source, file_sha256)`` is unique (``ix_<table>_source``)."""

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        """The unique index that makes a second load of the same file a no-op."""
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (Index(f"ix_{name}_source", "source", "file_sha256", unique=True),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(60))
    file_name: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    rows_in: Mapped[int] = mapped_column(Integer)
    stored: Mapped[int] = mapped_column(Integer)
    quarantined: Mapped[int] = mapped_column(Integer)


class QuarantineColumns:
    """Columns of a quarantine table: a delivery row that was not stored, its raw content and why."""

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(String(40))
    row_number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    raw: Mapped[str] = mapped_column(Text)


B = TypeVar("B", bound=BatchColumns)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks (what makes a second load of the file a no-op)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def loaded_batch(session: Session, model: type[B], source: str, sha256: str) -> B | None:
    """The batch of ``model`` that already loaded this source's file with this content, if any."""
    return session.scalars(
        select(model).where(model.source == source, model.file_sha256 == sha256)
    ).first()


@dataclass(frozen=True)
class ManifestEntry:
    """One delivery file named by a manifest: where, from which source, known as of which date."""

    path: Path
    source: str
    as_of: date
    rows: int | None = None
    #: The path as the manifest writes it (relative to the region directory).
    listed_as: str = ""


def read_manifest(directory: Path, name: str = "manifest.json") -> list[ManifestEntry]:
    """The deliveries listed in ``directory/name`` (paths relative to ``directory``), in listed order."""
    file = directory / name
    if not file.is_file():
        raise NotFound(f"{directory} has no {name}")
    try:
        doc: dict[str, Any] = orjson.loads(file.read_bytes())
        return [
            ManifestEntry(
                directory / e["path"], e["source"], date.fromisoformat(e["as_of"]), e.get("rows"), e["path"]
            )
            for e in doc["files"]
        ]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(f"{file} is not a valid manifest: {exc}") from exc
