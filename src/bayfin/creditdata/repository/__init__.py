"""Every query of the credit data hub, plus the bulk writers (PostgreSQL COPY, SQLite executemany)."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Date, Row, Select, Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from bayfin.creditdata.domain import SERIES_KINDS, RecordType
from bayfin.creditdata.models import FACT_MODELS, DeliveryBatch, QuarantinedRow
from bayfin.kernel.pagination import PageRequest, keyset

LOOKUP_CHUNK = 5000
SQLITE_CHUNK = 900


def fact_model(record_type: str) -> type[Any]:
    """The table class of a standard record type."""
    return FACT_MODELS[record_type]


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _for_database(frame: pl.DataFrame, rt: RecordType | None) -> pl.DataFrame:
    """Series as JSON text; dates as ISO text (SQLite stores them so; PostgreSQL parses them)."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            inner = pl.col(name).list.eval(pl.element().cast(pl.Utf8).fill_null("null")).list.join(",")
            exprs.append(pl.concat_str([pl.lit("["), inner, pl.lit("]")]).alias(name))
        elif dtype == pl.Date:
            exprs.append(pl.col(name).dt.strftime("%Y-%m-%d").alias(name))
    del rt
    return frame.with_columns(exprs) if exprs else frame


def bulk_insert(session: Session, table: Table, frame: pl.DataFrame) -> int:
    """Append a frame's rows (columns named as the table's) in one statement stream; returns the count.

    PostgreSQL gets one COPY of the frame written as CSV by polars (no Python per row); SQLite gets a
    single ``executemany``. Both run inside the caller's transaction.
    """
    if frame.height == 0:
        return 0
    frame = _for_database(frame, None)
    columns = frame.columns
    conn = _driver_connection(session)
    if session.get_bind().dialect.name == "postgresql":
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, null_value="", quote_style="necessary")
        col_list = ", ".join(f'"{c}"' for c in columns)
        with (
            conn.cursor() as cur,
            cur.copy(f'COPY "{table.name}" ({col_list}) FROM STDIN WITH (FORMAT csv)') as copy,
        ):
            copy.write(buffer.getvalue())
    else:
        marks = ", ".join("?" for _ in columns)
        col_list = ", ".join(f'"{c}"' for c in columns)
        cur = conn.cursor()
        try:
            cur.executemany(
                f'INSERT INTO "{table.name}" ({col_list}) VALUES ({marks})',  # noqa: S608
                frame.iter_rows(),
            )
        finally:
            cur.close()
    return frame.height


def _select_where_in(session: Session, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` (with one ``{in}`` placeholder) for a large set of values at the driver level.

    PostgreSQL gets a single array parameter (``= ANY(%s)``), SQLite chunks of plain ``IN (?, …)``:
    building a statement with thousands of bound parameters through the ORM costs more than the query.
    """
    if not values:
        return []
    conn = _driver_connection(session)
    if session.get_bind().dialect.name == "postgresql":
        with conn.cursor() as cur:
            cur.execute(sql.replace("{in}", "= ANY(%s)"), [list(values)])
            return list(cur.fetchall())
    rows: list[tuple[Any, ...]] = []
    cur = conn.cursor()
    try:
        for start in range(0, len(values), SQLITE_CHUNK):
            chunk = list(values[start : start + SQLITE_CHUNK])
            cur.execute(sql.replace("{in}", f"IN ({', '.join('?' * len(chunk))})"), chunk)
            rows.extend(cur.fetchall())
    finally:
        cur.close()
    return rows


def rows_in_force(
    session: Session, record_type: str, credit_codes: Sequence[str], as_of: date
) -> pl.DataFrame:
    """What a delivery as of ``as_of`` meets, per (credit_code, record_key) of these enterprises: the
    row in force on that date (old_id, old_hash, old_replaced_on; null when there is none) and the
    as-of date of the first later row (next_as_of). A delivery that arrives out of date order (a
    department re-sending an old month) thus slots into history instead of replacing newer data."""
    table = fact_model(record_type).__table__.name
    rows = _select_where_in(
        session,
        f'SELECT id, credit_code, record_key, content_hash, as_of, replaced_on FROM "{table}" '  # noqa: S608
        f"WHERE (replaced_on IS NULL OR replaced_on > '{as_of.isoformat()}') AND credit_code {{in}}",
        sorted(set(credit_codes)),
    )
    names = ["old_id", "credit_code", "record_key", "old_hash", "row_as_of", "old_replaced_on"]
    frame = pl.DataFrame(rows, schema=names, orient="row").with_columns(
        _date_column("row_as_of"), _date_column("old_replaced_on"), pl.col("old_id").cast(pl.Int64),
        pl.col("credit_code", "record_key", "old_hash").cast(pl.Utf8))
    keys = ["credit_code", "record_key"]
    in_force = frame.filter(pl.col("row_as_of") <= as_of).select(
        *keys, "old_id", "old_hash", "old_replaced_on")
    later = (frame.filter(pl.col("row_as_of") > as_of).group_by(keys)
             .agg(pl.col("row_as_of").min().alias("next_as_of")))
    return in_force.join(later, on=keys, how="full", coalesce=True)


def _date_column(name: str) -> pl.Expr:
    """A date column as the driver returned it (dates from psycopg, ISO text from SQLite) as a date."""
    column = pl.col(name)
    return (pl.when(column.is_null()).then(None)
            .otherwise(column.cast(pl.Utf8).str.slice(0, 10).str.to_date("%Y-%m-%d"))
            .cast(pl.Date).alias(name))


def supersede(session: Session, record_type: str, ids: Sequence[int], replaced_on: date) -> None:
    """Close the given rows: a correction delivered as of ``replaced_on`` replaces them."""
    model = fact_model(record_type)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        session.execute(
            update(model)
            .where(model.id.in_(list(ids[start : start + LOOKUP_CHUNK])))
            .values(replaced_on=replaced_on)
            .execution_options(synchronize_session=False)
        )


def codes_by_name(session: Session, names: Sequence[str]) -> pl.DataFrame:
    """Registered enterprises (current registration) bearing these names: lookup_name, resolved_code."""
    rows = _select_where_in(
        session,
        "SELECT DISTINCT name, credit_code FROM hub_registration WHERE replaced_on IS NULL AND name {in}",
        sorted(set(names)),
    )
    return pl.DataFrame(rows, schema={"lookup_name": pl.Utf8, "resolved_code": pl.Utf8}, orient="row")


@functools.cache
def _facts_statement(record_type: str, mode: str) -> Select[Any]:
    """One prepared statement per record type and read mode, built once: constructing the select
    (column coercions) cost more than running it for one firm's rows."""
    model = fact_model(record_type)
    # Plain rows, not ORM objects: a report reads ten tables per firm and identity-map hydration
    # is wasted on read-only facts; the rows answer the same attribute names.
    stmt = select(*model.__table__.columns).where(model.credit_code == bindparam("code"))
    if mode != "history":
        stmt = stmt.where(in_force(model, None if mode == "current" else bindparam("as_of", type_=Date)))
    return stmt.order_by(model.record_key, model.as_of, model.id)


def in_force(model: Any, as_of: Any) -> Any:
    """The condition for a fact row in force on ``as_of`` (a date or a bound parameter; None: now)."""
    if as_of is None:
        return model.replaced_on.is_(None)
    return (model.as_of <= as_of) & or_(model.replaced_on.is_(None), model.replaced_on > as_of)


def facts_of(
    session: Session, record_type: str, credit_code: str, as_of: date | None, history: bool = False
) -> list[Row[Any]]:
    """An enterprise's rows of one type: current ones, the ones in force on ``as_of``, or all (history)."""
    mode = "history" if history else "current" if as_of is None else "as_of"
    params: dict[str, Any] = {"code": credit_code}
    if mode == "as_of":
        params["as_of"] = as_of
    return list(session.execute(_facts_statement(record_type, mode), params))


def facts_of_all(
    session: Session, record_types: Sequence[str], credit_code: str, as_of: date | None, history: bool = False
) -> dict[str, list[Any]]:
    """An enterprise's rows of every one of ``record_types`` (as :func:`facts_of` reads each).

    On PostgreSQL the statements go out together in psycopg's pipeline mode: one network round trip
    for the whole record instead of one per record type, which is most of a credit report's time.
    The rows are named tuples with the same attributes as :func:`facts_of`'s rows."""
    if session.get_bind().dialect.name != "postgresql":
        return {name: facts_of(session, name, credit_code, as_of, history) for name in record_types}
    from psycopg.rows import namedtuple_row

    mode = "history" if history else "current" if as_of is None else "as_of"
    params: dict[str, Any] = {"code": credit_code}
    if mode == "as_of":
        params["as_of"] = as_of
    dialect = session.get_bind().dialect
    conn = _driver_connection(session)
    cursors = []
    with conn.pipeline():
        for name in record_types:
            sql, names = _compiled_facts(record_type=name, mode=mode, dialect=dialect)
            cur = conn.cursor(row_factory=namedtuple_row)
            cur.execute(sql, {k: params[k] for k in names})
            cursors.append((name, cur))
    found = {name: cur.fetchall() for name, cur in cursors}
    for _, cur in cursors:
        cur.close()
    return found


@functools.cache
def _compiled_facts(*, record_type: str, mode: str, dialect: Any) -> tuple[str, tuple[str, ...]]:
    """The SQL text of :func:`_facts_statement` for the driver, and the parameters it takes."""
    compiled = _facts_statement(record_type, mode).compile(dialect=dialect)
    return str(compiled), tuple(compiled.params)


def add_batch(session: Session, batch: DeliveryBatch) -> None:
    """Record a finished delivery batch (flushed; the caller's transaction commits)."""
    session.add(batch)
    session.flush()


def list_batches(session: Session, limit: int = 1000) -> list[DeliveryBatch]:
    """The most recent batches, oldest first among them."""
    rows = session.scalars(
        select(DeliveryBatch).order_by(DeliveryBatch.finished_at.desc(), DeliveryBatch.id.desc()).limit(limit)
    )
    return list(reversed(list(rows)))


def batch_totals(session: Session) -> dict[str, int]:
    """Counts summed over every batch."""
    row = session.execute(
        select(
            func.count(DeliveryBatch.id),
            func.coalesce(func.sum(DeliveryBatch.rows_in), 0),
            func.coalesce(func.sum(DeliveryBatch.stored), 0),
            func.coalesce(func.sum(DeliveryBatch.updated), 0),
            func.coalesce(func.sum(DeliveryBatch.unchanged), 0),
            func.coalesce(func.sum(DeliveryBatch.quarantined), 0),
        )
    ).one()
    keys = ("batches", "rows_in", "stored", "updated", "unchanged", "quarantined")
    return {k: int(v) for k, v in zip(keys, row, strict=True)}


def quarantine_by_reason(session: Session) -> dict[str, int]:
    """How many quarantined rows there are of each reason."""
    rows = session.execute(
        select(QuarantinedRow.reason, func.count(QuarantinedRow.id))
        .group_by(QuarantinedRow.reason)
        .order_by(QuarantinedRow.reason)
    )
    return {str(r): int(n) for r, n in rows}


def list_quarantine(
    session: Session,
    *,
    source: str | None = None,
    batch_id: str | None = None,
    reason: str | None = None,
    limit: int = 100,
    page: PageRequest | None = None,
) -> list[QuarantinedRow]:
    """Quarantined rows, filtered, in batch and row order (a keyset page, one row beyond, when asked)."""
    stmt = select(QuarantinedRow)
    if source:
        stmt = stmt.where(QuarantinedRow.source == source)
    if batch_id:
        stmt = stmt.where(QuarantinedRow.batch_id == batch_id)
    if reason:
        stmt = stmt.where(QuarantinedRow.reason == reason)
    if page is not None:
        return list(session.scalars(keyset(stmt, [QuarantinedRow.id], page)))
    return list(session.scalars(stmt.order_by(QuarantinedRow.id).limit(limit)))


def series_fields(rt: RecordType) -> list[str]:
    """Names of the record type's monthly series fields."""
    return [f.name for f in rt.fields if f.kind in SERIES_KINDS]
