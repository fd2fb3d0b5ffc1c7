"""Use cases of the credit data hub: ingest a delivery, read an enterprise's standard record.

Services only flush; the caller (CLI command, request, :func:`ingest_directory`) owns the transaction.
One delivery file is one batch, written in one transaction, so a crash leaves either the whole batch
or nothing, and a rerun (the file's hash is not yet recorded) completes it without duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import polars as pl
from sqlalchemy import Table
from sqlalchemy.orm import Session

from bayfin.creditdata import repository as repo
from bayfin.creditdata.domain import (
    RECORD_TYPES,
    BatchCounts,
    EnterpriseRecord,
    HubStatus,
    QuarantineView,
    Reason,
    RecordRow,
    credit_code_problem,
)
from bayfin.creditdata.mapping import Mapping
from bayfin.creditdata.models import DeliveryBatch, QuarantinedRow
from bayfin.creditdata.readers import read_delivery
from bayfin.creditdata.transform import QUARANTINE_SCHEMA, normalise
from bayfin.kernel.clock import Clock, SystemClock
from bayfin.kernel.errors import NotFound
from bayfin.kernel.ids import new_id
from bayfin.kernel.ingest import file_sha256, loaded_batch
from bayfin.kernel.observability import HUB_INGEST_ROWS, after_commit

#: Rows written per statement stream; after each chunk the ``on_chunk`` hook runs (tests crash there).
DEFAULT_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class BatchReport:
    """What one ingest did: the batch and its counts; ``already_ingested`` when the file was seen before."""

    batch_id: str
    source: str
    record_type: str
    file_name: str
    as_of: date
    counts: BatchCounts
    already_ingested: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON and tables."""
        return {
            "batch_id": self.batch_id,
            "source": self.source,
            "record_type": self.record_type,
            "file": self.file_name,
            "as_of": self.as_of,
            **asdict(self.counts),
            "already_ingested": self.already_ingested,
        }


def _report(batch: DeliveryBatch, already: bool) -> BatchReport:
    return BatchReport(
        batch.id,
        batch.source,
        batch.record_type,
        batch.file_name,
        batch.as_of,
        BatchCounts(batch.rows_in, batch.stored, batch.updated, batch.unchanged, batch.quarantined),
        already,
    )


def _message(template: str, *values: pl.Expr) -> pl.Expr:
    """``template`` with each ``{}`` replaced by the next value, per row (null if any value is null).

    The same result as ``pl.format``, built with ``pl.concat_str``: polars 2.1.0's ``format`` panics
    (``assertion failed: i < self.len()``) when run on more than one thread over a column whose first
    chunk is empty, which is what filtering a concatenated frame produces (duplicates that all come
    from the name-resolved part of a delivery).
    """
    parts = template.split("{}")
    if len(parts) != len(values) + 1:
        raise ValueError(f"{template!r} has {len(parts) - 1} placeholders for {len(values)} values")
    pieces: list[pl.Expr] = [pl.lit(parts[0])]
    for value, text in zip(values, parts[1:], strict=True):
        pieces += [value.cast(pl.Utf8), pl.lit(text)]
    return pl.concat_str(pieces)


def _quarantine(frame: pl.DataFrame, reason: Reason, message: pl.Expr) -> pl.DataFrame:
    return frame.select(
        pl.col("row_number"),
        pl.col("raw"),
        pl.col("credit_code"),
        pl.lit(reason.value).alias("reason"),
        message.alias("message"),
    ).cast(QUARANTINE_SCHEMA)


def _resolve_names(session: Session, valid: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Fill the credit code of name-only rows from registration data; quarantine unknown/ambiguous names."""
    named = valid.filter(pl.col("credit_code").is_null())
    if named.height == 0:
        return valid, []
    found = repo.codes_by_name(session, named["lookup_name"].to_list())
    matches = found.group_by("lookup_name").agg(
        pl.col("resolved_code").first(), pl.col("resolved_code").n_unique().alias("n")
    )
    named = named.join(matches, on="lookup_name", how="left")
    unknown = named.filter(pl.col("n").is_null())
    ambiguous = named.filter(pl.col("n") > 1)
    resolved = (
        named.filter(pl.col("n") == 1)
        .with_columns(pl.col("resolved_code").alias("credit_code"))
        .drop("resolved_code", "n")
    )
    bad = [
        _quarantine(
            unknown,
            Reason.unknown_name,
            _message("no registered enterprise is named {}", pl.col("lookup_name")),
        ),
        _quarantine(
            ambiguous,
            Reason.ambiguous_name,
            _message(
                "{} registered enterprises are named {}; not guessed", pl.col("n"), pl.col("lookup_name")
            ),
        ),
    ]
    return pl.concat([valid.filter(pl.col("credit_code").is_not_null()), resolved]), bad


def ingest_file(
    session: Session,
    path: Path,
    mapping: Mapping,
    as_of: date,
    *,
    clock: Clock | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_chunk: Callable[[int], None] | None = None,
) -> BatchReport:
    """Ingest one delivery file as one batch (flushes; the caller commits).

    Every row ends stored (new), updated (a correction: the old row is closed, kept as history),
    unchanged (same content as the current row) or quarantined with its reason; the file's hash makes
    a second ingest of the same file a no-op.
    """
    clock = clock or SystemClock()
    sha = file_sha256(path)
    seen = loaded_batch(session, DeliveryBatch, mapping.source, sha)
    if seen is not None:
        return _report(seen, already=True)
    started = clock.now()
    batch_id = new_id("bat")
    rt = mapping.record_type
    raw = read_delivery(path, mapping)
    norm = normalise(raw, mapping, as_of)
    valid, bad_names = _resolve_names(session, norm.valid)
    first = valid.select(pl.struct("credit_code", "record_key").is_first_distinct()).to_series()
    duplicates = valid.filter(~first)
    valid = valid.filter(first)
    quarantined = pl.concat(
        [
            norm.quarantined,
            *bad_names,
            _quarantine(
                duplicates,
                Reason.duplicate_in_batch,
                _message(
                    "a row for {} {} came earlier in the same delivery",
                    pl.col("credit_code"),
                    pl.col("record_key"),
                ),
            ),
        ]
    ).sort("row_number")
    known = repo.rows_in_force(session, rt.name, valid["credit_code"].to_list(), as_of)
    compared = valid.join(known, on=["credit_code", "record_key"], how="left")
    unchanged = compared.filter(pl.col("old_hash") == pl.col("content_hash")).height
    changed = compared.filter(pl.col("old_hash").is_null() | (pl.col("old_hash") != pl.col("content_hash")))
    superseded = changed.filter(pl.col("old_id").is_not_null())["old_id"].to_list()
    repo.supersede(session, rt.name, superseded, as_of)
    facts = changed.select(
        "credit_code",
        "record_key",
        pl.lit(as_of).alias("as_of"),
        # in force until what replaced the row it corrects, or (nothing in force then) the next row:
        # null for the usual delivery, a date when a delivery older than the current data comes late
        pl.when(pl.col("old_id").is_not_null()).then(pl.col("old_replaced_on"))
        .otherwise(pl.col("next_as_of")).cast(pl.Date).alias("replaced_on"),
        pl.lit(mapping.source).alias("source"),
        pl.lit(batch_id).alias("batch_id"),
        pl.col("row_number").cast(pl.Int32),
        "content_hash",
        *mapping.fields,
    )
    table = cast(Table, repo.fact_model(rt.name).__table__)
    written = 0
    for start in range(0, facts.height, chunk_rows):
        written += repo.bulk_insert(session, table, facts.slice(start, chunk_rows))
        if on_chunk is not None:
            on_chunk(written)
    repo.bulk_insert(
        session,
        cast(Table, QuarantinedRow.__table__),
        quarantined.select(
            pl.lit(batch_id).alias("batch_id"),
            pl.lit(mapping.source).alias("source"),
            "row_number",
            "reason",
            "message",
            "raw",
            "credit_code",
        ),
    )
    counts = BatchCounts(
        rows_in=raw.rows_in,
        stored=changed.height - len(superseded),
        updated=len(superseded),
        unchanged=unchanged,
        quarantined=quarantined.height,
    )
    batch = DeliveryBatch(
        id=batch_id,
        source=mapping.source,
        record_type=rt.name,
        file_name=path.name,
        file_sha256=sha,
        as_of=as_of,
        started_at=started,
        finished_at=clock.now(),
        rows_in=counts.rows_in,
        stored=counts.stored,
        updated=counts.updated,
        unchanged=counts.unchanged,
        quarantined=counts.quarantined,
    )
    repo.add_batch(session, batch)
    after_commit(session, lambda: _count_rows(mapping.source, counts))
    return _report(batch, already=False)


def _count_rows(source: str, counts: BatchCounts) -> None:
    for outcome in ("stored", "updated", "unchanged", "quarantined"):
        HUB_INGEST_ROWS.labels(source, outcome).inc(getattr(counts, outcome))


def _plain(row: Any, fields: tuple[str, ...]) -> RecordRow:
    return {
        "record_key": row.record_key,
        "values": {f: getattr(row, f) for f in fields},
        "source": row.source,
        "batch_id": row.batch_id,
        "row_number": row.row_number,
        "as_of": row.as_of,
        "replaced_on": row.replaced_on,
    }


def enterprise_record(
    session: Session, credit_code: str, as_of: date | None = None, *, history: bool = False
) -> EnterpriseRecord:
    """The standard record of one enterprise (统一社会信用代码 → every domain), as known on ``as_of``.

    This is the read other modules (credit reports, scoring) call. Each value carries its source,
    batch and as-of date; ``history=True`` adds superseded rows. Raises NotFound for an invalid code
    or an enterprise the hub knows nothing about (as of that date).
    """
    code = credit_code.strip().upper()
    problem = credit_code_problem(code)
    if problem is not None:
        raise NotFound(
            f"{credit_code!r} is not a valid unified social credit code ({problem.value})",
            credit_code_problem=problem.value,
        )
    found = repo.facts_of_all(session, list(RECORD_TYPES), code, as_of, history=history)
    domains = {name: [_plain(r, rt.field_names) for r in found[name]] for name, rt in RECORD_TYPES.items()}
    if not any(domains.values()):
        when = f" as of {as_of.isoformat()}" if as_of else ""
        raise NotFound(f"the hub holds no data on enterprise {code}{when}")
    registrations = domains["registration"] if history else domains.pop("registration")
    in_force = [r for r in registrations if _in_force(r, as_of)]
    return {
        "credit_code": code,
        "as_of": as_of,
        "registration": in_force[-1] if in_force else None,
        "domains": domains,
    }


def _in_force(row: RecordRow, as_of: date | None) -> bool:
    if as_of is None:
        return row["replaced_on"] is None
    return bool(row["as_of"] <= as_of and (row["replaced_on"] is None or row["replaced_on"] > as_of))


def hub_status(session: Session, limit: int = 1000) -> HubStatus:
    """Every batch's counts, totals and quarantine by reason."""
    batches = [_report(b, already=False).as_dict() for b in repo.list_batches(session, limit)]
    for b in batches:
        b.pop("already_ingested")
    return {
        "totals": repo.batch_totals(session),
        "quarantine_by_reason": repo.quarantine_by_reason(session),
        "batches": batches,
    }


def quarantine_rows(session: Session, **filters: Any) -> list[QuarantineView]:
    """Quarantined rows as plain data (source, batch, row number, reason, message, raw content)."""
    return [
        {
            "id": q.id,
            "source": q.source,
            "batch_id": q.batch_id,
            "row_number": q.row_number,
            "reason": q.reason,
            "message": q.message,
            "credit_code": q.credit_code,
            "raw": q.raw,
        }
        for q in repo.list_quarantine(session, **filters)
    ]
