from sqlalchemy import select, update

from bayfin.kernel.audit import (
    AuditEntry,
    AuditHead,
    AuditLog,
    AuditSealer,
    entries_for_subject,
    verify_chain,
)
from tests.conftest import TEST_AUDIT_KEY

KEY = TEST_AUDIT_KEY.encode()
LOG = AuditLog(KEY)


def _fill(session, n=5, seal=True):
    for i in range(n):
        LOG.record(session, actor=f"user-{i}", action="enterprise.read", subject_type="enterprise",
                   subject_id=f"firm-{i}", actor_org="bank-a", purpose="credit_review",
                   details={"i": i})
    session.flush()
    if seal:
        LOG.seal_pending(session)


def _by_seq(session, seq):
    return session.scalars(select(AuditEntry).where(AuditEntry.seq == seq)).one()


def test_an_untouched_chain_verifies(session):
    _fill(session)
    report = verify_chain(session, KEY)
    assert report.ok, report.problems
    assert (report.entries, report.last_seq, report.pending) == (5, 5, 0)


def test_recorded_entries_wait_unsealed_until_the_sealer_runs(session):
    _fill(session, 3, seal=False)
    report = verify_chain(session, KEY)
    assert report.ok and (report.entries, report.pending) == (0, 3)
    assert LOG.seal_pending(session) == 3
    report = verify_chain(session, KEY)
    assert (report.entries, report.pending) == (3, 0)


def test_an_edited_entry_is_found(session):
    _fill(session)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(subject_id="someone-else"))
    report = verify_chain(session, KEY)
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "edited")]


def test_a_removed_entry_is_found(session):
    _fill(session)
    session.delete(_by_seq(session, 2))
    session.flush()
    report = verify_chain(session, KEY)
    assert (3, "removed") in [(p.seq, p.kind) for p in report.problems]


def test_an_entry_pushed_back_to_unsealed_is_found_missing(session):
    _fill(session)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=None))
    assert (3, "removed") in [(p.seq, p.kind) for p in verify_chain(session, KEY).problems]


def test_reordered_entries_are_found(session):
    _fill(session)
    a, b = _by_seq(session, 2), _by_seq(session, 3)
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
    session.delete(_by_seq(session, 5))
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
    session.flush()
    forged.seal_pending(session)
    assert not verify_chain(session, KEY).ok


def test_sequence_numbers_are_dense_across_transactions_and_sealing_rounds(session_factory):
    for i in range(3):
        with session_factory() as s:
            LOG.record(s, actor="a", action="act", subject_type="t", subject_id=str(i))
            s.commit()
        if i == 1:
            LOG.seal_all(session_factory, batch=1)
    LOG.seal_all(session_factory)
    with session_factory() as s:
        seqs = s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
        assert seqs == list(range(1, len(seqs) + 1))
        report = verify_chain(s, KEY)
        assert report.ok and report.pending == 0


def test_an_entry_rolled_back_with_its_action_is_never_sealed(session_factory):
    with session_factory() as s:
        LOG.record(s, actor="a", action="rolled.back", subject_type="t", subject_id="x")
        s.rollback()
    LOG.seal_all(session_factory)
    with session_factory() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "rolled.back")).all() == []


def test_the_background_sealer_seals_what_is_committed_and_the_rest_on_close(session_factory):
    sealer = AuditSealer(LOG, session_factory, interval=3600).start()
    with session_factory() as s:
        LOG.record(s, actor="a", action="late", subject_type="t", subject_id="x")
        s.commit()
    sealer.close()
    with session_factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "late")).one()
        assert entry.seq is not None and verify_chain(s, KEY).ok


def test_entries_about_one_subject_come_newest_first(session):
    _fill(session, 4)
    LOG.record(session, actor="x", action="other.read", subject_type="enterprise", subject_id="firm-1")
    session.flush()
    rows = entries_for_subject(session, "enterprise", "firm-1")
    assert [r.action for r in rows] == ["other.read", "enterprise.read"]
    assert [r.action for r in entries_for_subject(session, "enterprise", "firm-1",
                                                  actions_prefix="enterprise.")] == ["enterprise.read"]


def test_sealing_on_commit_seals_each_transactions_entries_as_it_commits(engine):
    from sqlalchemy.orm import sessionmaker

    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    log = AuditLog(KEY)
    log.seal_on_commit(factory)
    try:
        with factory() as s:
            log.record(s, actor="a", action="inline", subject_type="t", subject_id="x")
            s.commit()
        with factory() as s:
            entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "inline")).one()
            assert entry.seq is not None
            assert verify_chain(s, KEY).ok
    finally:
        outer.rollback()
        connection.close()
