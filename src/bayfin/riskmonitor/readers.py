"""Readers of the risk sources' deliveries: each row becomes evidence or a quarantined row with its reason."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson

from bayfin.creditdata import credit_code_problem

#: The risk sources and a short description of each.
SOURCES: dict[str, str] = {
    "risk_web": "internet monitoring (CNCERT): websites, apps, public accounts — JSON lines",
    "risk_police": "police case reports — CSV, GBK or UTF-8",
    "risk_hotline": "citizen hotline (12345) complaints — CSV",
    "risk_licences": "financial licence register — CSV",
}


class RowProblem(Exception):
    """A row that cannot be taken, with the quarantine reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Parsed:
    """The rows read from one delivery: taken rows (plain dicts) and quarantined (row number, reason, raw)."""

    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    quarantined: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Every data row of the file."""
        return len(self.rows) + len(self.quarantined)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _required(row: dict[str, Any], *names: str) -> None:
    for name in names:
        if not str(row.get(name) or "").strip():
            raise RowProblem("missing_field")


def _date(text: str, *formats: str) -> date:
    for fmt in formats:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise RowProblem("invalid_date")


def _int(text: Any) -> int | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        return int(str(text).strip())
    except ValueError as exc:
        raise RowProblem("invalid_number") from exc


def _wan_to_fen(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(Decimal(text.strip()) * 1_000_000)
    except InvalidOperation as exc:
        raise RowProblem("invalid_amount") from exc


def _web(row: dict[str, Any]) -> dict[str, Any]:
    _required(row, "site", "text", "captured_on")
    code = str(row.get("icp_credit_code") or "").strip().upper() or None
    if code is not None and credit_code_problem(code) is not None:
        raise RowProblem("invalid_credit_code")
    return {
        "reference": str(row["site"]),
        "occurred_on": _date(str(row["captured_on"]), "%Y-%m-%d"),
        "mention": str(row.get("operator_name") or row.get("title") or "") or None,
        "text": f"{row.get('title') or ''} {row['text']}".strip(),
        "traffic": _int(row.get("daily_visits")),
        "filed_code": code,
    }


def _police(row: dict[str, Any]) -> dict[str, Any]:
    _required(row, "案件编号", "报案日期", "涉案主体", "简要案情")
    return {
        "reference": row["案件编号"],
        "occurred_on": _date(row["报案日期"], "%Y/%m/%d", "%Y-%m-%d"),
        "mention": row["涉案主体"],
        "text": f"{row.get('案由') or ''}：{row['简要案情']}",
        "amount_fen": _wan_to_fen(row.get("涉案金额(万元)") or ""),
        "people": _int(row.get("受害人数")),
        "region_code": (row.get("辖区") or "").strip() or None,
    }


def _hotline(row: dict[str, Any]) -> dict[str, Any]:
    _required(row, "工单号", "来电日期", "诉求内容")
    return {
        "reference": row["工单号"],
        "occurred_on": _date(row["来电日期"], "%Y-%m-%d", "%Y/%m/%d"),
        "mention": (row.get("被反映对象") or "").strip() or None,
        "text": row["诉求内容"],
        "region_code": (row.get("来电区域") or "").strip() or None,
    }


def _licence(row: dict[str, Any]) -> dict[str, Any]:
    _required(row, "统一社会信用代码", "许可类型", "许可证号", "有效期至")
    code = row["统一社会信用代码"].strip().upper()
    if credit_code_problem(code) is not None:
        raise RowProblem("invalid_credit_code")
    return {
        "credit_code": code,
        "licence_type": row["许可类型"].strip(),
        "licence_no": row["许可证号"].strip(),
        "valid_until": _date(row["有效期至"], "%Y-%m-%d"),
    }


_ROW_READERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "risk_web": _web,
    "risk_police": _police,
    "risk_hotline": _hotline,
    "risk_licences": _licence,
}


def read_source(path: Path, source: str) -> Parsed:
    """Every row of a delivery of ``source``, read or quarantined (never dropped)."""
    reader = _ROW_READERS[source]
    text = _decode(path.read_bytes())
    parsed = Parsed()
    if source == "risk_web":
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        for number, line in lines:
            try:
                record = orjson.loads(line)
                if not isinstance(record, dict):
                    raise RowProblem("malformed_record")
                parsed.rows.append((number, reader(record)))
            except orjson.JSONDecodeError:
                parsed.quarantined.append((number, "malformed_record", line))
            except RowProblem as problem:
                parsed.quarantined.append((number, problem.reason, line))
        return parsed
    table = list(csv.reader(io.StringIO(text)))
    if not table:
        return parsed
    header = [h.strip() for h in table[0]]
    for number, cells in enumerate(table[1:], start=1):
        if not any(c.strip() for c in cells):
            continue
        raw = ",".join(cells)
        if len(cells) != len(header):
            parsed.quarantined.append((number, "wrong_column_count", raw))
            continue
        try:
            parsed.rows.append((number, reader(dict(zip(header, cells, strict=True)))))
        except RowProblem as problem:
            parsed.quarantined.append((number, problem.reason, raw))
    return parsed
