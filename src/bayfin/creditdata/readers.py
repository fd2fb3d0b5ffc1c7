"""Readers for the delivery formats seen in practice: CSV (GBK or UTF-8, with or without BOM), JSON
lines, XML and Excel .xlsx. Each yields the mapped columns as strings plus, per row, its ordinal and
raw content; rows that cannot even be read (bad encoding, wrong field count, broken JSON) come back as
rejects so that nothing is silently dropped."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.parsers.expat import errors as expat_errors

import orjson
import polars as pl

from bayfin.creditdata.domain import FieldKind, Reason
from bayfin.creditdata.mapping import Mapping
from bayfin.kernel.errors import ValidationFailed

BOM = b"\xef\xbb\xbf"


@dataclass
class Reject:
    """An input row that could not be read at all."""

    row_number: int
    raw: str
    reason: Reason
    message: str


@dataclass
class RawRows:
    """The readable rows of one delivery: the mapped columns as strings, aligned with row numbers."""

    columns: dict[str, list[str | None]]
    row_numbers: list[int] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    #: The same rows already as a frame (``__row``, ``__raw``, mapped columns) when a reader built one.
    frame: pl.DataFrame | None = None

    @property
    def rows_in(self) -> int:
        """Every input row, readable or not."""
        readable = self.frame.height if self.frame is not None else len(self.row_numbers)
        return readable + len(self.rejects)

    def to_frame(self) -> pl.DataFrame:
        """The readable rows as a frame of strings: ``__row``, ``__raw`` and the mapped columns."""
        if self.frame is not None:
            return self.frame
        return pl.DataFrame(
            {
                "__row": pl.Series(self.row_numbers, dtype=pl.Int64),
                "__raw": pl.Series(self.raw, dtype=pl.Utf8),
                **{c: pl.Series(c, v, dtype=pl.Utf8) for c, v in self.columns.items()},
            }
        )


def raw_byte_lines(data: bytes) -> list[bytes]:
    """The file's lines as bytes (BOM removed), split the same way :func:`decode_lines` splits text."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    return [line.removesuffix(b"\r") for line in data.split(b"\n")]


def decode_lines(data: bytes, encoding: str) -> tuple[list[str | None], str]:
    """Split a text file into lines, decoding each; undecodable lines come back as None.

    ``auto`` honours a UTF-8 BOM, then tries UTF-8, then GBK (the two encodings departments use).
    """
    if data.startswith(BOM):
        data, candidates = data[len(BOM) :], ["utf-8"]
    elif encoding == "auto":
        candidates = ["utf-8", "gbk"]
    else:
        candidates = [encoding]
    for enc in candidates:
        try:
            return [line.removesuffix("\r") for line in data.decode(enc).split("\n")], enc
        except UnicodeDecodeError:
            continue
    # Some lines are broken: decode line by line with the encoding that reads the most lines.
    raw_lines = raw_byte_lines(data)

    def decoded(enc: str) -> list[str | None]:
        out: list[str | None] = []
        for line in raw_lines:
            try:
                out.append(line.decode(enc))
            except UnicodeDecodeError:
                out.append(None)
        return out

    best = max(
        ((decoded(enc), enc) for enc in candidates), key=lambda pair: sum(x is not None for x in pair[0])
    )
    return best


def _require_columns(header: list[str], mapping: Mapping, origin: str) -> None:
    missing = [c for c in mapping.columns if c not in header]
    if missing:
        raise ValidationFailed(
            f"{origin}: the delivery lacks the mapped columns {', '.join(missing)}", missing_columns=missing
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _split_csv_lines(lines: pl.DataFrame, width: int, wanted: list[int], columns: list[str]) -> pl.DataFrame:
    """Split unquoted lines on commas, vectorised; rows with the wrong field count get ``__fields``."""
    parts = pl.col("__raw").str.split(",")
    split = lines.with_columns(parts.list.len().alias("__fields"), parts.alias("__parts"))
    ok = pl.col("__fields") == width
    return split.with_columns(
        [
            pl.when(ok).then(pl.col("__parts").list.get(i, null_on_oob=True)).alias(c)
            for c, i in zip(columns, wanted, strict=True)
        ]
    ).drop("__parts")


def _python_csv(lines: pl.DataFrame, width: int, wanted: list[int], columns: list[str]) -> pl.DataFrame:
    """The csv module for the few lines with quoted fields (commas or quotes inside values)."""
    numbers, raws = lines["__row"].to_list(), lines["__raw"].to_list()
    values: dict[str, list[str | None]] = {c: [] for c in columns}
    fields = []
    for row in csv.reader(raws):
        fields.append(len(row))
        for c, i in zip(columns, wanted, strict=True):
            values[c].append(row[i] if len(row) == width else None)
    return pl.DataFrame(
        {
            "__row": pl.Series(numbers, dtype=pl.Int64),
            "__raw": pl.Series(raws, dtype=pl.Utf8),
            "__fields": pl.Series(fields, dtype=pl.UInt32),
            **{c: pl.Series(c, v, dtype=pl.Utf8) for c, v in values.items()},
        }
    )


def read_csv(data: bytes, mapping: Mapping, origin: str) -> RawRows:
    """Read a CSV delivery (header row with the department's own column names), splitting it vectorised."""
    lines, _enc = decode_lines(data, mapping.encoding)
    while lines and lines[-1] is not None and not lines[-1].strip():
        lines.pop()
    if not lines or lines[0] is None:
        raise ValidationFailed(f"{origin}: no readable header row")
    header = [h.strip() for h in next(csv.reader([lines[0]]))]
    _require_columns(header, mapping, origin)
    columns = mapping.columns
    wanted = [header.index(c) for c in columns]
    width = len(header)
    out = RawRows(columns={})
    body = lines[1:]
    if any(line is None for line in body):
        raw_bytes = raw_byte_lines(data)
        for number, line in enumerate(body, start=1):
            if line is None:
                out.rejects.append(
                    Reject(
                        number,
                        raw_bytes[number].decode("utf-8", "replace"),
                        Reason.invalid_encoding,
                        "the line is not valid UTF-8 or GBK text",
                    )
                )
    frame = pl.DataFrame({"__raw": pl.Series(body, dtype=pl.Utf8)}).with_row_index("__row", offset=1)
    frame = frame.with_columns(pl.col("__row").cast(pl.Int64)).filter(
        pl.col("__raw").is_not_null() & (pl.col("__raw").str.strip_chars() != "")
    )
    quoted = pl.col("__raw").str.contains('"', literal=True)
    parts = [_split_csv_lines(frame.filter(~quoted), width, wanted, columns)]
    tricky = frame.filter(quoted)
    if tricky.height:
        parts.append(_python_csv(tricky, width, wanted, columns).select(parts[0].columns))
    table = pl.concat(parts).sort("__row")
    malformed = table.filter(pl.col("__fields") != width)
    for number, raw, fields in malformed.select("__row", "__raw", "__fields").iter_rows():
        out.rejects.append(
            Reject(number, raw, Reason.malformed_row, f"{fields} fields where the header has {width}")
        )
    out.frame = table.filter(pl.col("__fields") == width).select(["__row", "__raw", *columns])
    return out


def _from_records(records: list[tuple[int, str, dict[str, Any] | None, str]], mapping: Mapping) -> RawRows:
    columns = mapping.columns
    out = RawRows(columns={c: [] for c in columns})
    targets = [(c, out.columns[c]) for c in columns]
    for number, raw, record, problem in records:
        if record is None:
            out.rejects.append(Reject(number, raw, Reason.malformed_row, problem))
            continue
        out.row_numbers.append(number)
        out.raw.append(raw)
        for c, target in targets:
            target.append(_text(record.get(c)))
    return out


def read_jsonl(data: bytes, mapping: Mapping, origin: str) -> RawRows:
    """Read a JSON-lines delivery: one object per line, keys are the department's field names."""
    lines, _enc = decode_lines(data, mapping.encoding)
    records: list[tuple[int, str, dict[str, Any] | None, str]] = []
    raw_bytes: list[bytes] | None = None
    number = 0
    for index, line in enumerate(lines):
        if line is not None and not line.strip():
            continue
        number += 1
        if line is None:
            raw_bytes = raw_bytes or raw_byte_lines(data)
            out_raw = raw_bytes[index].decode("utf-8", "replace")
            records.append((number, out_raw, None, "invalid_encoding"))
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            records.append((number, line, None, f"not a JSON object: {exc}"))
            continue
        if not isinstance(value, dict):
            records.append((number, line, None, "the line is JSON but not an object"))
            continue
        records.append((number, line, value, ""))
    out = _from_records(records, mapping)
    for reject in out.rejects:
        if reject.message == "invalid_encoding":
            reject.reason, reject.message = Reason.invalid_encoding, "the line is not valid UTF-8 or GBK text"
    return out


def read_xml(data: bytes, mapping: Mapping, origin: str) -> RawRows:
    """Read an XML delivery: each ``xml_record`` element is a row, its children (or attributes) the fields."""
    records: list[tuple[int, str, dict[str, Any] | None, str]] = []
    number = 0
    try:
        for _event, elem in ET.iterparse(io.BytesIO(data), events=("end",)):  # noqa: S314
            if elem.tag != mapping.xml_record:
                continue
            number += 1
            record: dict[str, Any] = dict(elem.attrib)
            for child in elem:
                record[child.tag] = (child.text or "").strip() or None
            records.append((number, ET.tostring(elem, encoding="unicode").strip(), record, ""))
            elem.clear()
    except ET.ParseError as exc:
        if not records:  # not even one record: not a delivery of this mapping at all
            raise ValidationFailed(f"{origin}: the XML document is not well-formed ({exc})") from exc
        # a document that breaks off (a truncated transfer, a stray byte): the records before the
        # break are read; what follows is kept whole as one quarantined row, to be delivered again
        line, column = exc.position
        records.append((number + 1, _after_record(data, mapping.xml_record or "", number), None,
                        f"the XML document is not well-formed from line {line}, column {column} "
                        f"({expat_errors.messages.get(exc.code, 'unreadable')}); the {number} records "
                        "before it were read and the rest is kept here"))
    return _from_records(records, mapping)


def _after_record(data: bytes, tag: str, count: int) -> str:
    """The document after the ``count``-th closing ``</tag>`` (all of it when that cannot be found)."""
    closing, end = f"</{tag}>".encode(), 0
    for _ in range(count):
        found = data.find(closing, end)
        if found < 0:
            return data.decode("utf-8", "replace")
        end = found + len(closing)
    return data[end:].decode("utf-8", "replace").strip()


def read_xlsx(path: Path, mapping: Mapping, origin: str) -> RawRows:
    """Read the first sheet of an .xlsx delivery with calamine (Rust; about 7x openpyxl's read-only
    mode, which made the provident-fund workbooks the slowest part of a region's ingest)."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = iter(sheet.iter_rows())
    except CalamineError as exc:
        raise ValidationFailed(f"{origin}: not a readable .xlsx workbook ({exc})") from exc
    header_row = next(rows, None)
    if header_row is None or all(v == "" for v in header_row):
        raise ValidationFailed(f"{origin}: the workbook is empty")
    header = [str(h).strip() for h in header_row]
    while header and header[-1] == "":
        header.pop()  # calamine pads every row to the sheet's widest one
    _require_columns(header, mapping, origin)
    date_columns = _date_columns(mapping)
    records: list[tuple[int, str, dict[str, Any] | None, str]] = []
    number = 0
    for cells in rows:
        # calamine reports an empty cell as "" (openpyxl as None); a workbook cannot hold an empty
        # string, so "" is always an empty cell.
        values = [None if v == "" else v for v in cells]
        while values and values[-1] is None:
            values.pop()
        if not values:
            continue
        number += 1
        record: dict[str, Any] = dict(zip(header, values, strict=False))
        for column, fmt in date_columns.items():
            cell = record.get(column)
            if isinstance(cell, date):
                # a real date cell, written in the format the mapping declares for its column
                record[column] = cell.strftime(fmt)
        raw = orjson.dumps([_text(v) for v in values]).decode()
        if len(values) > len(header):
            records.append((number, raw, None, f"{len(values)} cells where the header has {len(header)}"))
            continue
        records.append((number, raw, record, ""))
    return _from_records(records, mapping)


def _date_columns(mapping: Mapping) -> dict[str, str]:
    """Delivery column → the first format its date or month field declares."""
    found: dict[str, str] = {}
    for name, fm in mapping.fields.items():
        if mapping.record_type.field(name).kind in (FieldKind.date, FieldKind.month) and fm.column:
            found[fm.column] = mapping.date_formats(name)[0]
    return found


def read_delivery(path: Path, mapping: Mapping) -> RawRows:
    """Read one delivery file in its mapping's format."""
    origin = path.name
    if mapping.format == "xlsx":
        return read_xlsx(path, mapping, origin)
    data = path.read_bytes()
    if mapping.format == "csv":
        return read_csv(data, mapping, origin)
    if mapping.format == "jsonl":
        return read_jsonl(data, mapping, origin)
    return read_xml(data, mapping, origin)
