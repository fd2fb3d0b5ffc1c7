"""The tamper-evident audit log: append-only, each entry sealed to the previous one.

Every entry carries ``entry_hash = HMAC-SHA256(audit_key, prev_hash || canonical(entry))``. Sequence
numbers are dense and assigned under a lock on the single ``audit_head`` row, which also records the
last sequence and hash so that cutting entries off the end is detected too. Without the key nobody can
rewrite a consistent chain; :func:`verify_chain` finds any edited, removed or reordered entry.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bayfin.kernel.clock import utcnow
from bayfin.kernel.db import Base, UTCDateTime

GENESIS_HASH = "0" * 64
_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    """One audited event: who did what to which record, with what outcome."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_org: Mapped[str | None] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(200), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The single row that serialises appends and remembers the chain's end."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(_BigInt)
    last_hash: Mapped[str] = mapped_column(String(64))


def _canonical(seq: int, at: datetime, actor: str, actor_org: str | None, action: str,
               subject_type: str, subject_id: str, outcome: str, purpose: str | None,
               details: dict[str, Any]) -> bytes:
    return orjson.dumps(
        [seq, at.isoformat(timespec="microseconds"), actor, actor_org, action, subject_type,
         subject_id, outcome, purpose, details],
        option=orjson.OPT_SORT_KEYS,
    )


def seal(key: bytes, prev_hash: str, payload: bytes) -> str:
    """The HMAC that chains one entry to the previous one."""
    return hmac.new(key, prev_hash.encode() + payload, hashlib.sha256).hexdigest()


class AuditLog:
    """Appends entries to the chain inside the caller's transaction (the edge commits)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def record(self, session: Session, *, actor: str, action: str, subject_type: str,
               subject_id: str, outcome: str = "ok", actor_org: str | None = None,
               purpose: str | None = None, details: dict[str, Any] | None = None,
               at: datetime | None = None) -> AuditEntry:
        """Append one entry; callers must not put personal data in ``details``, only ids and codes."""
        at = at or utcnow()
        details = details or {}
        # Taking the head row's write lock first serialises appends on PostgreSQL (row lock) and
        # SQLite (database write lock) alike, so sequence numbers stay dense and the chain linear.
        bumped = session.execute(update(AuditHead).where(AuditHead.id == 1)
                                 .values(last_seq=AuditHead.last_seq + 1))
        if bumped.rowcount == 0:  # type: ignore[attr-defined]
            session.add(AuditHead(id=1, last_seq=1, last_hash=GENESIS_HASH))
            session.flush()
        head = session.execute(select(AuditHead.last_seq, AuditHead.last_hash)
                               .where(AuditHead.id == 1)).one()
        seq, prev_hash = int(head.last_seq), str(head.last_hash)
        entry_hash = seal(self._key, prev_hash, _canonical(seq, at, actor, actor_org, action,
                                                           subject_type, subject_id, outcome,
                                                           purpose, details))
        entry = AuditEntry(seq=seq, at=at, actor=actor, actor_org=actor_org, action=action,
                           subject_type=subject_type, subject_id=subject_id, outcome=outcome,
                           purpose=purpose, details=details, prev_hash=prev_hash,
                           entry_hash=entry_hash)
        session.add(entry)
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=entry_hash))
        session.flush()
        return entry


@dataclass
class ChainProblem:
    """One place where the chain does not hold."""

    seq: int
    kind: str  # edited | removed | reordered | truncated | head
    detail: str


@dataclass
class ChainReport:
    """Outcome of a full verification."""

    entries: int = 0
    last_seq: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def _entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.seq > last)
                               .order_by(AuditEntry.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify_chain(session: Session, key: bytes) -> ChainReport:
    """Recompute the whole chain and report every edited, removed, reordered or truncated entry."""
    report = ChainReport()
    expected_seq, prev = 1, GENESIS_HASH
    for entry in _entries(session):
        report.entries += 1
        payload = _canonical(entry.seq, entry.at, entry.actor, entry.actor_org, entry.action,
                             entry.subject_type, entry.subject_id, entry.outcome, entry.purpose,
                             entry.details or {})
        own = seal(key, entry.prev_hash, payload)
        if entry.seq != expected_seq:
            report.problems.append(ChainProblem(entry.seq, "removed",
                                                f"expected seq {expected_seq}, found {entry.seq}"))
        if own != entry.entry_hash:
            report.problems.append(ChainProblem(entry.seq, "edited",
                                                "content does not match its seal"))
        elif entry.prev_hash != prev and entry.seq == expected_seq:
            report.problems.append(ChainProblem(entry.seq, "reordered",
                                                "entry is sealed to a different predecessor"))
        prev, expected_seq = entry.entry_hash, entry.seq + 1
        report.last_seq = entry.seq
    head = session.get(AuditHead, 1)
    if head is not None:
        if head.last_seq != report.last_seq:
            report.problems.append(ChainProblem(report.last_seq, "truncated",
                                                f"head says {head.last_seq} entries end the chain, "
                                                f"found last {report.last_seq}"))
        elif head.last_hash != prev:
            report.problems.append(ChainProblem(report.last_seq, "head",
                                                "head hash does not match the last entry"))
    elif report.entries:
        report.problems.append(ChainProblem(0, "head", "audit head row is missing"))
    return report


def entries_for_subject(session: Session, subject_type: str, subject_id: str, *,
                        actions_prefix: str | None = None, limit: int = 100,
                        before_seq: int | None = None) -> list[AuditEntry]:
    """The newest entries about one subject (e.g. who looked at an enterprise's data), newest first."""
    stmt = select(AuditEntry).where(AuditEntry.subject_type == subject_type,
                                    AuditEntry.subject_id == subject_id)
    if actions_prefix:
        stmt = stmt.where(AuditEntry.action.startswith(actions_prefix))
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    return list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit)).all())
