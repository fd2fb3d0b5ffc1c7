"""Writing department deliveries: the formats departments use, and the defects real deliveries carry.

A delivery is built as a :class:`Sheet` of string cells (header → column), then a few percent of its
rows are damaged, one kind of defect per row, each kind a distinct quarantine reason of the hub, and
written as CSV (UTF-8 with or without BOM, or GBK), JSON lines, XML or .xlsx. Everything is
deterministic for a given random stream, so the same seed writes byte-identical files.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import orjson
import polars as pl

FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def yuan_text(fen: np.ndarray) -> list[str]:
    """Integer fen as 元 text with two decimals (no float on the way)."""
    s = pl.Series(np.asarray(fen, dtype=np.int64))
    out = pl.select(
        pl.concat_str([(s // 100).cast(pl.Utf8), pl.lit("."), (s % 100).cast(pl.Utf8).str.zfill(2)])
    )
    return out.to_series().to_list()


def wan_text(fen: np.ndarray) -> list[str]:
    """Integer fen as 万元 text with four decimals (to the 元)."""
    yuan = pl.Series(np.asarray(fen, dtype=np.int64) // 100)
    out = pl.select(
        pl.concat_str([(yuan // 10000).cast(pl.Utf8), pl.lit("."), (yuan % 10000).cast(pl.Utf8).str.zfill(4)])
    )
    return out.to_series().to_list()


def int_text(values: np.ndarray) -> list[str]:
    """Integers as text."""
    return pl.Series(np.asarray(values, dtype=np.int64)).cast(pl.Utf8).to_list()


@dataclass
class Sheet:
    """One delivery's cells, and which columns may be damaged in which way."""

    columns: dict[str, list[str]]
    code: str | None = None
    name: str | None = None
    dates: dict[str, str] = field(default_factory=dict)  # column → strftime format
    money: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)
    coded: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    #: rows to break at the line level when written (wrong field count / bad bytes)
    malformed: set[int] = field(default_factory=set)
    bad_bytes: set[int] = field(default_factory=set)

    @property
    def height(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


def damage(
    sheet: Sheet,
    rng: np.random.Generator,
    rate: float,
    as_of: date,
    *,
    text_lines: bool,
    allow_encoding: bool,
) -> None:
    """Break about ``rate`` of the rows, each with one defect the hub must quarantine with its reason."""
    kinds: list[str] = []
    if sheet.code:
        kinds += ["check_character_mismatch", "invalid_credit_code", "missing_identifier"]
    if sheet.code and sheet.name:
        kinds.append("unknown_name")
    if sheet.dates:
        kinds += ["invalid_date", "future_date"]
    if sheet.money:
        kinds += ["invalid_amount", "negative_amount"]
    if sheet.counts:
        kinds.append("invalid_number")
    if sheet.coded:
        kinds.append("unknown_code")
    if sheet.required:
        kinds.append("missing_required")
    kinds.append("duplicate_in_batch")
    if text_lines:
        kinds.append("malformed_row")
    if allow_encoding:
        kinds.append("invalid_encoding")
    n = sheet.height
    if n == 0:
        return
    hit = np.flatnonzero(rng.random(n) < rate)
    choice = rng.integers(0, len(kinds), size=len(hit))
    cols = sheet.columns
    duplicates: list[int] = []
    for row, k in zip(hit.tolist(), choice.tolist(), strict=True):
        kind = kinds[k]
        if kind == "check_character_mismatch":
            code = cols[sheet.code][row]  # type: ignore[index]
            if code:
                cols[sheet.code][row] = code[:17] + ("1" if code[17] != "1" else "2")  # type: ignore[index]
        elif kind == "invalid_credit_code":
            cols[sheet.code][row] = cols[sheet.code][row][:12]  # type: ignore[index]
        elif kind == "missing_identifier":
            cols[sheet.code][row] = ""  # type: ignore[index]
            if sheet.name:
                cols[sheet.name][row] = ""
        elif kind == "unknown_name":
            cols[sheet.code][row] = ""  # type: ignore[index]
            cols[str(sheet.name)][row] = f"查无此户{row}号贸易有限公司"
        elif kind in ("invalid_date", "future_date"):
            column = list(sheet.dates)[row % len(sheet.dates)]
            fmt = sheet.dates[column]
            if kind == "invalid_date":
                cols[column][row] = "2023-02-30" if "%d" in fmt else "2023-13"
            else:
                cols[column][row] = (as_of + timedelta(days=400)).strftime(fmt)
        elif kind == "invalid_amount":
            cols[sheet.money[row % len(sheet.money)]][row] = "约" + str(row % 97)
        elif kind == "negative_amount":
            column = sheet.money[row % len(sheet.money)]
            cols[column][row] = "-" + (cols[column][row] or "1")
        elif kind == "invalid_number":
            cols[sheet.counts[row % len(sheet.counts)]][row] = "十二"
        elif kind == "unknown_code":
            cols[sheet.coded[row % len(sheet.coded)]][row] = "待定"
        elif kind == "missing_required":
            cols[sheet.required[row % len(sheet.required)]][row] = ""
        elif kind == "duplicate_in_batch":
            duplicates.append(row)
        elif kind == "malformed_row":
            sheet.malformed.add(row)
        else:
            sheet.bad_bytes.add(row)
    for row in duplicates:  # a second, different row for the same record, at the end of the file
        for values in cols.values():
            values.append(values[row])
        if sheet.money:
            cols[sheet.money[0]][-1] = "1.00"


def _break_lines(lines: list[str], sheet: Sheet, offset: int, encoding: str, json_lines: bool) -> bytes:
    out = io.BytesIO()
    for i, line in enumerate(lines):
        row = i - offset
        if row in sheet.malformed:
            line = line[: max(1, len(line) - 3)] if json_lines else line + ",多余字段"
        data = line.encode(encoding)
        if row in sheet.bad_bytes:
            data = data[:10] + b"\xff\xfe" + data[10:]
        out.write(data + b"\n")
    return out.getvalue()


def write_csv(path: Path, sheet: Sheet, encoding: str = "utf-8", bom: bool = False) -> int:
    """A CSV delivery with a header row; returns the number of data rows."""
    frame = pl.DataFrame({k: pl.Series(k, v, dtype=pl.Utf8) for k, v in sheet.columns.items()})
    text = frame.write_csv(quote_style="necessary")
    lines = text.rstrip("\n").split("\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + _break_lines(lines, sheet, 1, encoding, False))
    return sheet.height


def write_jsonl(path: Path, sheet: Sheet) -> int:
    """A JSON-lines delivery (one object per row; empty cells left out)."""
    keys = list(sheet.columns)
    lines = []
    for values in zip(*sheet.columns.values(), strict=True):
        lines.append(orjson.dumps({k: v for k, v in zip(keys, values, strict=True) if v}).decode())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_break_lines(lines, sheet, 0, "utf-8", True))
    return sheet.height


def write_xml(path: Path, sheet: Sheet, record: str, root: str) -> int:
    """An XML delivery: one ``record`` element per row, one child element per column."""
    keys = list(sheet.columns)
    out = io.StringIO()
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>\n')
    for values in zip(*sheet.columns.values(), strict=True):
        out.write(
            f"<{record}>"
            + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in zip(keys, values, strict=True) if v)
            + f"</{record}>\n"
        )
    out.write(f"</{root}>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue().encode("utf-8"))
    return sheet.height


def write_xlsx(path: Path, sheet: Sheet) -> int:
    """An .xlsx delivery (write-only workbook), re-zipped with fixed timestamps so it is reproducible."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    ws.append(list(sheet.columns))
    for values in zip(*sheet.columns.values(), strict=True):
        ws.append([int(v) if v.isdigit() and len(v) < 15 else v for v in values])
    wb.properties.creator = "bayfin demo"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _fixed_core_properties(data)
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return sheet.height


def _fixed_core_properties(data: bytes) -> bytes:
    import re

    return re.sub(
        rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2024-01-01T00:00:00Z\g<2>", data
    )
