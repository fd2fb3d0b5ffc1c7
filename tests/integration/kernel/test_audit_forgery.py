"""An attacker with write access to ``audit_log`` but not the audit key: rows inserted, edited,
removed, reordered or replayed are refused by the sealer or found by the read-only verification; a
sealer that crashes mid-batch loses nothing that committed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bayfin.kernel import audit as audit_module
from bayfin.kernel.audit import AuditEntry, AuditHead, AuditLog, verify_chain
from tests.conftest import TEST_AUDIT_KEY

KEY = TEST_AUDIT_KEY.encode()


def _commit_entries(factory, log: AuditLog, n: int, prefix: str = "read") -> None:
    for i in range(n):
        with factory() as s:
            log.record(s, actor=f"user-{i}", action=f"enterprise.{prefix}", subject_type="enterprise",
                       subject_id=f"firm-{i}", details={"i": i})
            s.commit()


def _insert_raw(factory, **values: object) -> int:
    row = {"at": datetime(2026, 12, 1, tzinfo=UTC), "actor": "regulator-1", "actor_org": None,
           "action": "consent.grant", "subject_type": "enterprise", "subject_id": "firm-9",
           "outcome": "ok", "purpose": None, "details": {}, **values}
    with factory() as s:
        new_id = s.execute(insert(AuditEntry).values(**row).returning(AuditEntry.id)).scalar_one()
        s.commit()
    return int(new_id)


def _entry(factory, entry_id: int) -> AuditEntry:
    with factory() as s:
        return s.get_one(AuditEntry, entry_id)


def test_a_row_inserted_without_the_key_is_refused_with_an_alarm_and_never_chained(
        session_factory, caplog: pytest.LogCaptureFixture) -> None:
    log = AuditLog(KEY)
    _commit_entries(session_factory, log, 2)
    forged = _insert_raw(session_factory)
    with_fake_mac = _insert_raw(session_factory, nonce="f" * 32, mac="0" * 64)
    _commit_entries(session_factory, log, 1, prefix="after")
    with caplog.at_level(logging.ERROR, logger="bayfin.kernel.audit"):
        log.seal_all(session_factory)
    for bad in (forged, with_fake_mac):
        row = _entry(session_factory, bad)
        assert row.seq is None and row.rejected_at is not None
    assert log.refused_total == 2
    assert len([r for r in caplog.records if r.levelno == logging.ERROR and "refused" in r.getMessage()]) == 2
    with session_factory() as s:
        alarms = s.scalars(select(AuditEntry).where(AuditEntry.action == "audit.entry_refused")
                           .order_by(AuditEntry.seq)).all()
        assert [a.subject_id for a in alarms] == [str(forged), str(with_fake_mac)]
        assert all(a.seq is not None and a.outcome == "alarm" for a in alarms)
        genuine = s.scalars(select(AuditEntry).where(AuditEntry.action.startswith("enterprise."))).all()
        assert len(genuine) == 3 and all(e.seq is not None for e in genuine)  # the rest still sealed
        report = verify_chain(s, KEY)
    assert report.entries == 5  # 3 genuine + 2 alarms
    assert sorted(p.kind for p in report.problems) == ["refused", "refused"]


def test_a_row_forged_with_another_key_is_refused(session_factory) -> None:
    log = AuditLog(KEY)
    with session_factory() as s:
        AuditLog(b"attacker-key-0123456789abcdef0123").record(
            s, actor="attacker", action="consent.grant", subject_type="enterprise", subject_id="x")
        s.commit()
    log.seal_all(session_factory)
    with session_factory() as s:
        row = s.scalars(select(AuditEntry).where(AuditEntry.actor == "attacker")).one()
        assert row.seq is None and row.rejected_at is not None


def test_a_pending_row_edited_before_sealing_is_refused(session_factory) -> None:
    log = AuditLog(KEY)
    _commit_entries(session_factory, log, 3)
    with session_factory() as s:
        s.execute(update(AuditEntry).where(AuditEntry.subject_id == "firm-1")
                  .values(subject_id="someone-else"))
        s.commit()
        report = verify_chain(s, KEY)
    assert [p.kind for p in report.problems] == ["forged"] and report.pending == 2
    log.seal_all(session_factory)
    with session_factory() as s:
        edited = s.scalars(select(AuditEntry).where(AuditEntry.subject_id == "someone-else")).one()
        assert edited.seq is None and edited.rejected_at is not None
        assert [e.subject_id for e in s.scalars(select(AuditEntry).where(AuditEntry.seq.is_not(None))
                                                .order_by(AuditEntry.seq))] == ["firm-0", "firm-2",
                                                                                str(edited.id)]


def test_a_genuine_row_copied_in_again_is_refused_by_its_nonce(session_factory) -> None:
    log = AuditLog(KEY)
    _commit_entries(session_factory, log, 1)
    with session_factory() as s:
        original = s.scalars(select(AuditEntry)).one()
        copy = {c.name: getattr(original, c.name) for c in AuditEntry.__table__.columns
                if c.name not in {"id", "seq", "prev_hash", "entry_hash"}}
        nested = s.begin_nested()
        with pytest.raises(IntegrityError):
            s.execute(insert(AuditEntry).values(**copy))
        nested.rollback()


def test_verify_only_reads_and_does_not_seal_a_forged_row(session_factory) -> None:
    log = AuditLog(KEY)
    _commit_entries(session_factory, log, 2)
    forged = _insert_raw(session_factory)
    with session_factory() as s:
        report = verify_chain(s, KEY)
        assert report.pending == 2 and [p.kind for p in report.problems] == ["forged"]
        assert s.scalars(select(AuditEntry).where(AuditEntry.seq.is_not(None))).all() == []
        assert s.get(AuditHead, 1) is None or s.get_one(AuditHead, 1).last_seq == 0
    assert _entry(session_factory, forged).rejected_at is None  # verification refused nothing either


def test_removed_and_reordered_sealed_rows_are_still_found(session_factory) -> None:
    log = AuditLog(KEY)
    _commit_entries(session_factory, log, 4)
    log.seal_all(session_factory)
    with session_factory() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
        third = s.scalars(select(AuditEntry).where(AuditEntry.seq == 3)).one()
        fourth = s.scalars(select(AuditEntry).where(AuditEntry.seq == 4)).one()
        third_id, fourth_id = third.id, fourth.id
        s.execute(update(AuditEntry).where(AuditEntry.id == third_id).values(seq=-4))
        s.execute(update(AuditEntry).where(AuditEntry.id == fourth_id).values(seq=3))
        s.execute(update(AuditEntry).where(AuditEntry.id == third_id).values(seq=4))
        s.commit()
        kinds = {p.kind for p in verify_chain(s, KEY).problems}
    assert "removed" in kinds and kinds & {"edited", "reordered"}


def test_a_sealer_crashing_mid_batch_seals_nothing_of_that_batch_and_loses_nothing(
        session_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    log = AuditLog(KEY)
    _commit_entries(session_factory, log, 5)
    real_seal, calls = audit_module.seal, {"n": 0}

    def crashing(key: bytes, prev: str, payload: bytes) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionError("the sealer's process died here")
        return real_seal(key, prev, payload)

    monkeypatch.setattr(audit_module, "seal", crashing)
    with pytest.raises(ConnectionError):
        log.seal_all(session_factory)
    with session_factory() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.seq.is_not(None))).all() == []
        head = s.get(AuditHead, 1)
        assert head is None or head.last_seq == 0
    _commit_entries(session_factory, log, 2, prefix="meanwhile")  # requests go on committing
    monkeypatch.setattr(audit_module, "seal", real_seal)
    assert log.seal_all(session_factory, batch=3) == 7
    with session_factory() as s:
        seqs = s.scalars(select(AuditEntry.seq).order_by(AuditEntry.id)).all()
        assert seqs == [1, 2, 3, 4, 5, 6, 7]  # every committed entry, once, in arrival order
        report = verify_chain(s, KEY)
        assert report.ok and report.entries == 7 and report.pending == 0


def test_the_mac_holds_for_details_and_times_as_the_database_returns_them(session_factory) -> None:
    """Details with integer keys and a time in another zone still verify after the round trip."""
    from datetime import timedelta, timezone

    log = AuditLog(KEY)
    with session_factory() as s:
        log.record(s, actor="a", action="x.y", subject_type="t", subject_id="1",
                   details={1: "one", "nested": {"b": [1, 2]}},
                   at=datetime(2026, 12, 5, 20, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8))))
        s.commit()
    log.seal_all(session_factory)
    with session_factory() as s:
        assert s.scalars(select(AuditEntry)).one().seq == 1
        assert verify_chain(s, KEY).ok
