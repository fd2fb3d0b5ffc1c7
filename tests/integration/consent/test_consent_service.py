from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bayfin.consent import ConsentFrequencyExhausted, ConsentNotFound, ConsentRefused
from bayfin.consent import domain as d
from bayfin.consent.service import ConsentRequestData, ConsentService
from bayfin.kernel.audit import AuditEntry, verify_chain
from bayfin.kernel.clock import FixedClock
from bayfin.kernel.security import Principal
from tests.conftest import TEST_AUDIT_KEY

FIRM = "91440101000000019F"
BANK_A = Principal("officer-a", "bank-a", "institution", scopes=frozenset({"credit:read"}))
BANK_B = Principal("officer-b", "bank-b", "institution")
OWNER = Principal("owner", FIRM, "enterprise")


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 5, 10, 9, tzinfo=UTC))


@pytest.fixture
def service(session, platform, clock):
    return ConsentService(session, platform.audit, clock, platform.tokens.keys)


def _live(service, mode=d.AccessMode.periodic, freq=3, validity=30):
    consent = service.request(BANK_A, ConsentRequestData(
        credit_code=FIRM, purpose=d.Purpose.post_loan_monitoring, purpose_text="monitoring",
        categories=frozenset({d.DataCategory.tax, d.DataCategory.courts}), access_mode=mode,
        frequency=d.Frequency(d.PeriodUnit.month, freq), data_from=date(2024, 1, 1),
        data_to=date(2026, 4, 30), validity_days=validity,
        data_life=d.Frequency(d.PeriodUnit.month, 3)))
    return service.approve(OWNER, consent.id)


def test_a_use_within_the_consent_is_granted_counted_and_audited(service, session):
    consent = _live(service)
    grant = service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    assert grant.categories == {d.DataCategory.tax, d.DataCategory.courts}
    assert consent.use_count == 1 and consent.last_used_at is not None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "credit_report.read")).one()
    assert (entry.subject_id, entry.outcome, entry.actor_org) == (FIRM, "ok", "bank-a")
    assert entry.details["consent_id"] == consent.id


def test_revocation_takes_effect_on_the_very_next_query(service):
    consent = _live(service)
    service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    service.change(OWNER, consent.id, d.ConsentAction.revoke, "user_request")
    with pytest.raises(ConsentRefused) as err:
        service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    assert err.value.extra["reason"] == "consent_revoked"


def test_pause_blocks_and_resume_restores(service):
    consent = _live(service)
    service.change(OWNER, consent.id, d.ConsentAction.pause, "user_request")
    with pytest.raises(ConsentRefused):
        service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    service.change(OWNER, consent.id, d.ConsentAction.resume, "user_request")
    assert service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")


def test_expiry_takes_effect_the_moment_validity_ends(service, clock):
    consent = _live(service, validity=10)
    clock.advance(days=10)
    with pytest.raises(ConsentRefused) as err:
        service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    assert err.value.extra["reason"] == "consent_expired"
    assert consent.status == "expired"


def test_the_frequency_limit_resets_with_the_calendar_month(service, clock):
    consent = _live(service, freq=2)
    for _ in range(2):
        service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    with pytest.raises(ConsentFrequencyExhausted) as err:
        service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    assert err.value.extra["retry_after"] > 0
    clock.set(datetime(2026, 6, 1, 0, 0, 1, tzinfo=UTC))
    assert service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")


def test_a_view_once_consent_admits_one_use(service):
    consent = _live(service, mode=d.AccessMode.once)
    service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    assert consent.status == "expired"
    with pytest.raises(ConsentRefused):
        service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")


def test_another_institution_is_told_nothing_exists_and_the_attempt_is_audited(service, session):
    consent = _live(service)
    with pytest.raises(ConsentNotFound):
        service.authorize_use(BANK_B, consent.id, FIRM, action="credit_report.read")
    session.flush()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.outcome == "refused")).one()
    assert entry.actor_org == "bank-b" and entry.details["reason"] == "consent_not_found"
    assert consent.use_count == 0


def test_every_change_and_use_keeps_the_audit_chain_intact(service, session):
    consent = _live(service)
    service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    service.change(OWNER, consent.id, d.ConsentAction.pause, "user_request")
    with pytest.raises(ConsentRefused):
        service.authorize_use(BANK_A, consent.id, FIRM, action="credit_report.read")
    session.flush()
    service.audit.seal_pending(session)
    report = verify_chain(session, TEST_AUDIT_KEY.encode())
    assert report.ok and report.entries >= 5 and report.pending == 0
