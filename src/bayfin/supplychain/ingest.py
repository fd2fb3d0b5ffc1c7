"""Ingesting graph deliveries into the edge store, with the hub's guarantees.

The hub's mapping engine maps a row onto *one* enterprise's record; a graph row names two parties (and
a person or contact point may be one of them), so graph deliveries have their own small reader here.
It keeps the hub's promises and its vocabulary: every row ends stored, updated, unchanged or
quarantined with one of the hub's reason codes (plus ``self_loop`` and ``invalid_party``); the counts
reconcile; a file already ingested (same source and SHA-256) is a no-op; a row re-delivered with the
same key updates the edge in place.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy.orm import Session

from bayfin.creditdata import credit_code_problem
from bayfin.kernel.clock import Clock, SystemClock
from bayfin.kernel.errors import NotFound
from bayfin.kernel.ids import new_id
from bayfin.kernel.ingest import file_sha256, loaded_batch
from bayfin.supplychain import repository as repo
from bayfin.supplychain.graph import EdgeKind, EdgeRow
from bayfin.supplychain.models import GraphBatch

_PERSON = re.compile(r"^P[0-9A-F]{17}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")


@dataclass(frozen=True)
class Spec:
    """How one graph source's columns become edges."""

    kind: EdgeKind
    source: str
    target: str
    month: str | None = None
    amount: str | None = None
    share: str | None = None
    key: str | None = None  # a column that identifies the record (else source, target and month)
    persons_as_source: bool = False
    required: tuple[str, ...] = ()
    contact_columns: tuple[tuple[str, str], ...] = ()  # (column, node prefix) for contact points


SOURCES: dict[str, Spec] = {
    "graph_invoices": Spec(
        EdgeKind.invoice, "销方统一社会信用代码", "购方统一社会信用代码", "开票月份", "价税合计(元)"
    ),
    "graph_transfers": Spec(
        EdgeKind.transfer, "付款方统一社会信用代码", "收款方统一社会信用代码", "交易月份", "金额(元)"
    ),
    "graph_shareholdings": Spec(
        EdgeKind.shareholding,
        "股东标识",
        "被投资企业统一社会信用代码",
        share="持股比例(%)",
        persons_as_source=True,
    ),
    "graph_legal_reps": Spec(EdgeKind.legal_rep, "人员标识", "企业统一社会信用代码", persons_as_source=True),
    "graph_guarantees": Spec(
        EdgeKind.guarantee,
        "担保人统一社会信用代码",
        "借款人统一社会信用代码",
        "签订月份",
        "担保金额(元)",
        key="担保合同编号",
        required=("担保合同编号",),
    ),
    "graph_contacts": Spec(
        EdgeKind.contact, "统一社会信用代码", "", contact_columns=(("联系电话", "T"), ("通讯地址", "A"))
    ),
}


@dataclass
class GraphBatchReport:
    """What became of one delivery's rows: in = stored + updated + unchanged + quarantined."""

    batch_id: str
    source: str
    file_name: str
    rows_in: int
    stored: int
    updated: int
    unchanged: int
    quarantined: int
    already_ingested: bool = False
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        """Whether every row is accounted for."""
        return self.rows_in == self.stored + self.updated + self.unchanged + self.quarantined


@dataclass
class _Edge:
    kind: EdgeKind
    key: str
    source: str
    target: str
    month: str
    amount_fen: int
    share_bp: int
    row_number: int


class _Reject(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _party(value: str, allow_person: bool) -> str:
    code = value.strip().upper()
    if not code:
        raise _Reject("missing_identifier", "no identifier")
    if allow_person and code.startswith("P"):
        if not _PERSON.match(code):
            raise _Reject("invalid_party", f"{code!r} is not a person identifier")
        return code
    problem = credit_code_problem(code)
    if problem is not None:
        raise _Reject(problem.value, f"{code!r} is not a valid credit code")
    return code


def _fen(text: str) -> int:
    value = text.strip().replace(",", "")
    if value.startswith("-"):
        raise _Reject("negative_amount", f"negative amount {value!r}")
    if not _AMOUNT.match(value):
        raise _Reject("invalid_amount", f"{value!r} is not an amount")
    try:
        return int(Decimal(value) * 100)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes it
        raise _Reject("invalid_amount", str(exc)) from exc


def _month(text: str, as_of: date) -> str:
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise _Reject("invalid_date", f"{text!r} is not a month (YYYY-MM)")
    if date(int(m.group(1)), int(m.group(2)), 1) > as_of:
        raise _Reject("future_date", f"{text} is after the delivery's as-of date")
    return text.strip()


def parse_row(spec: Spec, row: dict[str, str], number: int, as_of: date) -> list[_Edge]:
    """The edges one delivery row stands for (raises _Reject with the reason when it is defective)."""
    for column in spec.required:
        if not row.get(column, "").strip():
            raise _Reject("missing_required", f"{column} is empty")
    source = _party(row.get(spec.source, ""), spec.persons_as_source)
    if spec.contact_columns:
        edges = []
        for column, prefix in spec.contact_columns:
            value = row.get(column, "").strip()
            if value:
                point = prefix + hashlib.sha256(value.encode()).hexdigest()[:17].upper()
                edges.append(_Edge(spec.kind, f"{source}:{column}", source, point, "", 0, 0, number))
        if not edges:
            raise _Reject("missing_required", "no contact point given")
        return edges
    target = _party(row.get(spec.target, ""), False)
    if source == target:
        raise _Reject("self_loop", "a party cannot be its own counterparty")
    month = _month(row.get(spec.month, ""), as_of) if spec.month else ""
    amount = _fen(row.get(spec.amount, "")) if spec.amount else 0
    share = 0
    if spec.share:
        share = _fen(row.get(spec.share, ""))
        if share > 10_000:
            raise _Reject("invalid_number", f"share {share / 100}% above 100%")
    key = row[spec.key].strip() if spec.key else f"{source}>{target}" + (f"@{month}" if month else "")
    return [_Edge(spec.kind, key, source, target, month, amount, share, number)]


def _rows(path: Path) -> tuple[list[str], list[tuple[int, bytes, dict[str, str] | str]]]:
    """Header and rows; a row is a dict, or a reason string when the line itself cannot be read."""
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    lines = data.split(b"\n")
    header = next(csv.reader([lines[0].decode("utf-8")]))
    out: list[tuple[int, bytes, dict[str, str] | str]] = []
    for n, raw in enumerate(lines[1:], start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            out.append((n, raw, "invalid_encoding"))
            continue
        cells = next(csv.reader([text]))
        if len(cells) != len(header):
            out.append((n, raw, "malformed_row"))
            continue
        out.append((n, raw, dict(zip(header, cells, strict=True))))
    return header, out


def ingest_graph_file(
    session: Session, path: Path, source: str, as_of: date, *, clock: Clock | None = None
) -> tuple[GraphBatchReport, list[EdgeRow]]:
    """Ingest one graph delivery as one batch (flushes only); the report and the edges that changed."""
    spec = SOURCES.get(source)
    if spec is None:
        raise NotFound(f"no graph source {source!r}; known: {', '.join(sorted(SOURCES))}")
    clock = clock or SystemClock()
    sha = file_sha256(path)
    seen = loaded_batch(session, GraphBatch, source, sha)
    if seen is not None:
        return GraphBatchReport(
            seen.id,
            source,
            seen.file_name,
            seen.rows_in,
            seen.stored,
            seen.updated,
            seen.unchanged,
            seen.quarantined,
            already_ingested=True,
        ), []
    batch_id = new_id("gbt")
    _header, rows = _rows(path)
    quarantine: list[dict[str, object]] = []
    edges: dict[tuple[str, str], _Edge] = {}
    row_edges: dict[int, list[tuple[str, str]]] = {}
    for number, raw, row in rows:
        try:
            if isinstance(row, str):
                raise _Reject(row, "the line cannot be read as a row of this delivery")
            parsed = parse_row(spec, row, number, as_of)
            keys = [(e.kind.value, e.key) for e in parsed]
            if any(k in edges for k in keys):
                raise _Reject(
                    "duplicate_in_batch", f"a row for {keys[0][1]} came earlier in the same delivery"
                )
        except _Reject as reject:
            quarantine.append(
                {
                    "batch_id": batch_id,
                    "row_number": number,
                    "reason": reject.reason,
                    "message": str(reject),
                    "raw": raw.decode("utf-8", "replace"),
                }
            )
            continue
        for e in parsed:
            edges[(e.kind.value, e.key)] = e
        row_edges[number] = keys
    status = _store(session, batch_id, as_of, spec.kind, edges)
    counts = {"stored": 0, "updated": 0, "unchanged": 0}
    for keys in row_edges.values():
        states = {status[k] for k in keys}
        counts["stored" if "stored" in states else "updated" if "updated" in states else "unchanged"] += 1
    repo.insert_quarantine(session, quarantine)
    reasons: dict[str, int] = {}
    for q in quarantine:
        reasons[str(q["reason"])] = reasons.get(str(q["reason"]), 0) + 1
    batch = GraphBatch(
        id=batch_id,
        source=source,
        file_name=path.name,
        file_sha256=sha,
        as_of=as_of,
        finished_at=clock.now(),
        rows_in=len(rows),
        quarantined=len(quarantine),
        **counts,
    )
    repo.add_batch(session, batch)
    changed = [
        EdgeRow(e.kind, e.source, e.target, _part(e), e.amount_fen, e.share_bp)
        for k, e in edges.items()
        if status[k] != "unchanged"
    ]
    report = GraphBatchReport(
        batch_id, source, path.name, len(rows), stored=counts["stored"], updated=counts["updated"],
        unchanged=counts["unchanged"], quarantined=len(quarantine), reasons=reasons,
    )
    return report, changed


def _part(e: _Edge) -> str:
    """What distinguishes parallel rows of one relation in the graph: the month, or the contract."""
    return e.key if e.kind is EdgeKind.guarantee else e.month


def _store(
    session: Session, batch_id: str, as_of: date, kind: EdgeKind, edges: dict[tuple[str, str], _Edge]
) -> dict[tuple[str, str], str]:
    """Insert new edges, update changed ones in place; the state of each key."""
    keys = [k for _, k in edges]
    current = repo.current_edges(session, kind, keys)
    status: dict[tuple[str, str], str] = {}
    new_rows = []
    for (kind_value, key), e in edges.items():
        old = current.get(key)
        if old is None:
            status[(kind_value, key)] = "stored"
            new_rows.append(
                {
                    "kind": kind_value,
                    "record_key": key,
                    "source": e.source,
                    "target": e.target,
                    "month": e.month,
                    "amount_fen": e.amount_fen,
                    "share_bp": e.share_bp,
                    "as_of": as_of,
                    "batch_id": batch_id,
                    "row_number": e.row_number,
                }
            )
        elif old[1:] == (e.amount_fen, e.share_bp, e.source, e.target):
            status[(kind_value, key)] = "unchanged"
        else:
            status[(kind_value, key)] = "updated"
            repo.update_edge(
                session,
                old[0],
                amount_fen=e.amount_fen,
                share_bp=e.share_bp,
                source=e.source,
                target=e.target,
                as_of=as_of,
                batch_id=batch_id,
                row_number=e.row_number,
            )
    repo.insert_edges(session, new_rows)
    return status
