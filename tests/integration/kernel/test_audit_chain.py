from sqlalchemy import select, update

from bayfin.kernel.audit import AuditEntry, AuditHead, AuditLog, verify_chain
from tests.conftest import TEST_AUDIT_KEY

KEY = TEST_AUDIT_KEY.encode()


def _fill(session, n=5):
    log = AuditLog(KEY)
    for i in range(n):
        log.record(session, actor=f"user-{i}", action="enterprise.read", subject_type="enterprise",
                   subject_id=f"firm-{i}", actor_org="bank-a", purpose="credit_review",
                   details={"i": i})
    session.flush()


def test_an_untouched_chain_verifies(session):
    _fill(session)
    report = verify_chain(session, KEY)
    assert report.ok, report.problems
    assert report.entries == 5 and report.last_seq == 5


def test_an_edited_entry_is_found(session):
    _fill(session)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(subject_id="someone-else"))
    report = verify_chain(session, KEY)
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "edited")]


def test_a_removed_entry_is_found(session):
    _fill(session)
    session.delete(session.get(AuditEntry, 2))
    session.flush()
    report = verify_chain(session, KEY)
    assert (3, "removed") in [(p.seq, p.kind) for p in report.problems]


def test_reordered_entries_are_found(session):
    _fill(session)
    a, b = session.get(AuditEntry, 2), session.get(AuditEntry, 3)
    fields = ["at", "actor", "actor_org", "action", "subject_type", "subject_id", "outcome",
              "purpose", "details", "prev_hash", "entry_hash"]
    va, vb = ({f: getattr(a, f) for f in fields}, {f: getattr(b, f) for f in fields})
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(entry_hash="x" * 64))
    session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(**va))
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(**vb))
    session.expire_all()
    report = verify_chain(session, KEY)
    assert not report.ok
    assert {p.seq for p in report.problems} & {2, 3}


def test_cutting_entries_off_the_end_is_found(session):
    _fill(session)
    session.delete(session.get(AuditEntry, 5))
    session.flush()
    report = verify_chain(session, KEY)
    assert [p.kind for p in report.problems] == ["truncated"]


def test_a_chain_rewritten_without_the_key_does_not_verify(session):
    _fill(session, 2)
    forged = AuditLog(b"attacker-key")
    session.execute(update(AuditHead).values(last_seq=0, last_hash="0" * 64))
    for entry in session.scalars(select(AuditEntry)).all():
        session.delete(entry)
    session.flush()
    forged.record(session, actor="attacker", action="x", subject_type="y", subject_id="z")
    assert not verify_chain(session, KEY).ok


def test_sequence_numbers_are_dense_across_transactions(session_factory):
    log = AuditLog(KEY)
    for i in range(3):
        with session_factory() as s:
            log.record(s, actor="a", action="act", subject_type="t", subject_id=str(i))
            s.commit()
    with session_factory() as s:
        seqs = s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
        assert seqs == list(range(1, len(seqs) + 1))
        assert verify_chain(s, KEY).ok


def test_entries_about_one_subject_come_newest_first(session):
    from bayfin.kernel.audit import entries_for_subject

    _fill(session, 4)
    AuditLog(KEY).record(session, actor="x", action="other.read", subject_type="enterprise",
                         subject_id="firm-1")
    rows = entries_for_subject(session, "enterprise", "firm-1")
    assert [r.action for r in rows] == ["other.read", "enterprise.read"]
    assert [r.action for r in entries_for_subject(session, "enterprise", "firm-1",
                                                  actions_prefix="enterprise.")] == ["enterprise.read"]
