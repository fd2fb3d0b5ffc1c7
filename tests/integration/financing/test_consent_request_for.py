"""The platform asks consent on an institution's behalf with the same validation as the institution's
own request, audited as the caller who triggered it."""

from datetime import date

import pytest
from sqlalchemy import select

from bayfin.consent import ConsentService, DataCategory, Purpose
from bayfin.consent.domain import AccessMode, Frequency, PeriodUnit
from bayfin.consent.service import ConsentRequestData
from bayfin.kernel.audit import AuditEntry
from bayfin.kernel.errors import ValidationFailed
from bayfin.kernel.security import Principal

FIRM = "91440101000000019F"
APPLICANT = Principal(subject="cfo", organization_id=FIRM, organization_type="enterprise")


def _data(**overrides):
    values = {"credit_code": FIRM, "purpose": Purpose.loan_application, "purpose_text": "loan",
              "categories": frozenset({DataCategory.tax}), "access_mode": AccessMode.once,
              "frequency": Frequency(PeriodUnit.month, 1), "data_from": date(2024, 1, 1),
              "data_to": date(2025, 1, 1), "validity_days": 30,
              "data_life": Frequency(PeriodUnit.month, 0), "linked_application_id": "app_1"}
    return ConsentRequestData(**{**values, **overrides})


@pytest.fixture
def consents(session, platform):
    return ConsentService(session, platform.audit, platform.clock, platform.tokens.keys)


def test_a_request_for_an_institution_is_that_institutions_consent_and_audited(consents, session):
    consent = consents.request_for("BANK-A", APPLICANT, _data())
    assert (consent.institution_id, consent.status, consent.requested_by) == ("BANK-A", "requested", "cfo")
    bank = Principal(subject="officer", organization_id="BANK-A", organization_type="institution")
    assert consents.get_for(bank, consent.id).id == consent.id
    session.flush()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "consent.request_for")).one()
    assert (entry.actor, entry.actor_org, entry.subject_id) == ("cfo", FIRM, consent.id)
    assert entry.details["institution_id"] == "BANK-A"


@pytest.mark.parametrize("bad", [{"data_from": date(2026, 1, 1)}, {"categories": frozenset()}])
def test_a_request_for_an_institution_is_validated_like_the_institutions_own(consents, bad):
    with pytest.raises(ValidationFailed):
        consents.request_for("BANK-A", APPLICANT, _data(**bad))
    institution = Principal(subject="o", organization_id="BANK-A", organization_type="institution")
    with pytest.raises(ValidationFailed):
        consents.request(institution, _data(**bad))


def test_a_request_for_needs_a_named_institution(consents):
    with pytest.raises(ValidationFailed):
        consents.request_for("", APPLICANT, _data())
