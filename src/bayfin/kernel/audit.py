"""The tamper-evident audit log: append-only, each entry sealed to the previous one.

Recording is one INSERT in the caller's transaction, so the entry commits or rolls back with the
action it records and no request waits on another. The entry carries, from the moment it is written,
a random nonce and its own MAC (``HMAC-SHA256(entry_key, nonce || canonical(entry))``, the entry key
derived from the audit key), so a row inserted straight into ``audit_log`` by someone without the key
is never mistaken for a genuine one: the sealer refuses it (it is set aside with ``rejected_at``,
logged at ERROR and answered by an ``audit.entry_refused`` alarm entry that is itself chained), and
the unique nonce stops a genuine row from being copied in twice. A sealer (on PostgreSQL a
background thread in every bayfin process, and ``bayfin audit seal``; on SQLite the committing
transaction itself) then takes committed entries in arrival order under a lock on the single
``audit_head`` row, gives each a dense sequence number and seals it:
``entry_hash = HMAC-SHA256(audit_key, prev_hash || canonical(entry))``. The head row remembers the
last sequence and hash, so cutting entries off the end is detected too. Without the key nobody can
rewrite a consistent chain; :func:`verify_chain` finds any edited, removed or reordered entry.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, Index, Integer, String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bayfin.kernel.clock import utcnow
from bayfin.kernel.db import Base, UTCDateTime

log = logging.getLogger(__name__)
GENESIS_HASH = "0" * 64
_PENDING = "seq IS NULL AND rejected_at IS NULL"
_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    """One audited event: who did what to which record, with what outcome."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # The sealer's work list: entries not sealed yet, in arrival order.
        Index("ix_audit_log_pending", "id", sqlite_where=_PENDING, postgresql_where=_PENDING),
    )

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(_BigInt, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_org: Mapped[str | None] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(200), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Written with the entry: a random nonce (unique, so a genuine row cannot be replayed) and the
    #: entry's own MAC. NULL only on entries sealed before MACs existed.
    nonce: Mapped[str | None] = mapped_column(String(32), unique=True)
    mac: Mapped[str | None] = mapped_column(String(64))
    #: Set by the sealer on a row whose MAC does not verify: it never enters the chain.
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditHead(Base):
    """The single row that serialises sealing and remembers the chain's end."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(_BigInt)
    last_hash: Mapped[str] = mapped_column(String(64))


def _canonical(entry: AuditEntry, seq: int) -> bytes:
    return orjson.dumps(
        [seq, entry.at.isoformat(timespec="microseconds"), entry.actor, entry.actor_org,
         entry.action, entry.subject_type, entry.subject_id, entry.outcome, entry.purpose,
         entry.details or {}],
        option=orjson.OPT_SORT_KEYS,
    )


def seal(key: bytes, prev_hash: str, payload: bytes) -> str:
    """The HMAC that chains one entry to the previous one."""
    return hmac.new(key, prev_hash.encode() + payload, hashlib.sha256).hexdigest()


def entry_key(audit_key: bytes) -> bytes:
    """The key of the per-entry MACs, derived from the audit key (separate from the chain's use)."""
    return hmac.new(audit_key, b"bayfin.audit.entry-mac", hashlib.sha256).digest()


def entry_mac(key: bytes, entry: AuditEntry) -> str:
    """The MAC an entry gets when it is written: its nonce and every field the chain seals."""
    payload = orjson.dumps(
        [entry.nonce, entry.at.isoformat(timespec="microseconds"), entry.actor, entry.actor_org,
         entry.action, entry.subject_type, entry.subject_id, entry.outcome, entry.purpose,
         entry.details or {}],
        option=orjson.OPT_SORT_KEYS,
    )
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def mac_verifies(key: bytes, entry: AuditEntry) -> bool:
    """True if the entry carries a nonce and a MAC made with the audit key over its content."""
    if not entry.nonce or not entry.mac:
        return False
    return hmac.compare_digest(entry_mac(key, entry), entry.mac)


class AuditLog:
    """Records entries inside the caller's transaction (the edge commits) and seals them later."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._entry_key = entry_key(key)
        #: Rows refused by this process's sealers (forged or edited before sealing): a metric.
        self.refused_total = 0

    def record(self, session: Session, *, actor: str, action: str, subject_type: str,
               subject_id: str, outcome: str = "ok", actor_org: str | None = None,
               purpose: str | None = None, details: dict[str, Any] | None = None,
               at: datetime | None = None) -> AuditEntry:
        """Add one entry; callers must not put personal data in ``details``, only ids and codes."""
        # The MAC covers the values as the database will hand them back: UTC time, JSON details.
        stored = orjson.loads(orjson.dumps(details or {}, option=orjson.OPT_NON_STR_KEYS))
        when = at or utcnow()
        if when.tzinfo is not None:  # a naive time is left for the UTC column to refuse
            when = when.astimezone(UTC)
        entry = AuditEntry(at=when, actor=actor[:200], actor_org=actor_org,
                           action=action[:100], subject_type=subject_type[:60],
                           subject_id=subject_id[:200], outcome=outcome[:40],
                           purpose=None if purpose is None else purpose[:200],
                           details=stored, nonce=secrets.token_hex(16))
        entry.mac = entry_mac(self._entry_key, entry)
        session.add(entry)
        session.info["audit_pending"] = True
        return entry

    def seal_on_commit(self, session_factory: Any) -> None:
        """Seal a session's entries in its own transaction just before it commits.

        For SQLite, whose single writer serialises transactions anyway: a separate sealer would be
        one more writer whose commits make other transactions' read-to-write upgrades fail.
        """

        @event.listens_for(session_factory, "before_commit")
        def _seal(session: Session) -> None:
            if session.info.pop("audit_pending", False):
                session.flush()
                self.seal_pending(session)

    def seal_pending(self, session: Session, limit: int = 5000) -> int:
        """Seal up to ``limit`` committed entries in arrival order; returns how many were taken off the
        work list (sealed, or refused because their MAC does not verify)."""
        # Taking the head row's write lock first serialises sealers on PostgreSQL (row lock) and
        # SQLite (database write lock) alike, so sequence numbers stay dense and the chain linear.
        bumped = session.execute(update(AuditHead).where(AuditHead.id == 1)
                                 .values(last_seq=AuditHead.last_seq))
        if bumped.rowcount == 0:  # type: ignore[attr-defined]
            session.add(AuditHead(id=1, last_seq=0, last_hash=GENESIS_HASH))
            session.flush()
        head = session.execute(select(AuditHead.last_seq, AuditHead.last_hash)
                               .where(AuditHead.id == 1)).one()
        pending = session.scalars(select(AuditEntry).where(AuditEntry.seq.is_(None),
                                                           AuditEntry.rejected_at.is_(None))
                                  .order_by(AuditEntry.id).limit(limit)).all()
        if not pending:
            return 0
        seq, prev = int(head.last_seq), str(head.last_hash)
        refused: list[AuditEntry] = []
        for entry in pending:
            if not mac_verifies(self._entry_key, entry):
                entry.rejected_at = utcnow()
                refused.append(entry)
                continue
            seq += 1
            entry.seq, entry.prev_hash = seq, prev
            entry.entry_hash = prev = seal(self._key, prev, _canonical(entry, seq))
        for bad in refused:
            seq += 1
            alarm = self._alarm(session, bad)
            alarm.seq, alarm.prev_hash = seq, prev
            alarm.entry_hash = prev = seal(self._key, prev, _canonical(alarm, seq))
        session.flush()
        session.execute(update(AuditHead).where(AuditHead.id == 1)
                        .values(last_seq=seq, last_hash=prev))
        return len(pending)

    def _alarm(self, session: Session, bad: AuditEntry) -> AuditEntry:
        """Raise the alarm on a refused row: an ERROR log, the metric and a chained alarm entry."""
        self.refused_total += 1
        log.error("audit entry %s refused: its MAC does not verify (inserted or edited outside "
                  "bayfin); it is kept out of the chain", bad.id,
                  extra={"audit_entry_id": bad.id, "alarm": "audit.entry_refused"})
        return self.record(session, actor="audit-sealer", action="audit.entry_refused",
                           subject_type="audit_entry", subject_id=str(bad.id), outcome="alarm",
                           details={"claimed_action": bad.action[:100] if bad.action else None,
                                    "has_mac": bool(bad.mac)})

    def seal_all(self, session_factory: Callable[[], Session], batch: int = 5000) -> int:
        """Seal everything committed so far, one transaction per batch."""
        total = 0
        while True:
            with session_factory() as session:
                sealed = self.seal_pending(session, batch)
                session.commit()
            total += sealed
            if sealed < batch:
                return total


class AuditSealer:
    """A daemon thread that seals committed entries every ``interval`` seconds."""

    def __init__(self, audit: AuditLog, session_factory: Callable[[], Session],
                 interval: float = 0.25) -> None:
        self._audit = audit
        self._factory = session_factory
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)

    def start(self) -> AuditSealer:
        """Begin sealing in the background."""
        self._thread.start()
        return self

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(self._interval):
            try:
                self._audit.seal_all(self._factory)
                failing = False
            except Exception:  # a database hiccup must not kill the sealer; the next round retries
                # Once per outage, not four times a second: a process started before `bayfin db
                # upgrade` (no audit tables yet) or a restarting database would flood the log.
                if not failing:
                    log.exception("audit sealing failed; retrying quietly until it succeeds")
                failing = True

    def close(self) -> None:
        """Stop the thread and seal what is left."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        try:
            self._audit.seal_all(self._factory)
        except Exception:
            log.exception("final audit sealing failed; entries stay pending for the next sealer")


@dataclass
class ChainProblem:
    """One place where the chain does not hold."""

    seq: int
    kind: str  # edited | removed | reordered | truncated | head | forged | refused
    detail: str


@dataclass
class ChainReport:
    """Outcome of a full verification."""

    entries: int = 0
    last_seq: int = 0
    #: Entries recorded but not sealed yet (the sealer runs every fraction of a second).
    pending: int = 0
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
        last = int(rows[-1].seq or 0)
        session.expunge_all()


def _unsealed(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.seq.is_(None), AuditEntry.id > last)
                               .order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = int(rows[-1].id)
        session.expunge_all()


def verify_chain(session: Session, key: bytes) -> ChainReport:
    """Recompute the whole sealed chain and report every edited, removed, reordered or truncated entry,
    and every unsealed row whose MAC does not verify (forged) or that the sealer refused. Only reads:
    it seals nothing, so a forged row cannot be blessed by running it."""
    report = ChainReport()
    expected_seq, prev = 1, GENESIS_HASH
    for entry in _entries(session):
        seq = int(entry.seq or 0)
        report.entries += 1
        own = seal(key, entry.prev_hash or "", _canonical(entry, seq))
        if seq != expected_seq:
            report.problems.append(ChainProblem(seq, "removed",
                                                f"expected seq {expected_seq}, found {seq}"))
        if own != entry.entry_hash:
            report.problems.append(ChainProblem(seq, "edited", "content does not match its seal"))
        elif entry.prev_hash != prev and seq == expected_seq:
            report.problems.append(ChainProblem(seq, "reordered",
                                                "entry is sealed to a different predecessor"))
        prev, expected_seq = entry.entry_hash or "", seq + 1
        report.last_seq = seq
    mac_key = entry_key(key)
    for entry in _unsealed(session):
        if entry.rejected_at is not None:
            report.problems.append(ChainProblem(0, "refused", f"row id {entry.id} was refused by the "
                                                "sealer: its MAC did not verify"))
        elif not mac_verifies(mac_key, entry):
            report.problems.append(ChainProblem(0, "forged", f"unsealed row id {entry.id} has no valid "
                                                "MAC: inserted or edited outside bayfin"))
        else:
            report.pending += 1
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
                        before_id: int | None = None) -> list[AuditEntry]:
    """The newest entries about one subject (e.g. who looked at an enterprise's data), newest first."""
    stmt = select(AuditEntry).where(AuditEntry.subject_type == subject_type,
                                    AuditEntry.subject_id == subject_id)
    if actions_prefix:
        stmt = stmt.where(AuditEntry.action.startswith(actions_prefix))
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)).all())
