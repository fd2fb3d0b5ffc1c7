from datetime import UTC, date, datetime, timedelta

import pytest

from bayfin.consent import domain as d

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def terms(**over):
    base = dict(consent_id="c1", credit_code="91440101000000019F", institution_id="bank-a",
                purpose=d.Purpose.loan_application,
                categories=frozenset({d.DataCategory.tax, d.DataCategory.courts}),
                access_mode=d.AccessMode.periodic, frequency=d.Frequency(d.PeriodUnit.month, 2),
                data_from=date(2024, 1, 1), data_to=date(2025, 12, 31),
                valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=30),
                status=d.ConsentStatus.active, use_count=0)
    base.update(over)
    return d.ConsentTerms(**base)


def req(**over):
    base = dict(institution_id="bank-a", credit_code="91440101000000019F", categories=frozenset())
    base.update(over)
    return d.AccessRequest(**base)


def test_a_live_consent_grants_exactly_its_categories_and_window():
    grant = d.evaluate_access(terms(), req(), NOW, uses_in_period=0)
    assert isinstance(grant, d.AccessGrant)
    assert grant.categories == {d.DataCategory.tax, d.DataCategory.courts}
    assert (grant.data_from, grant.data_to) == (date(2024, 1, 1), date(2025, 12, 31))


@pytest.mark.parametrize("status", ["requested", "paused", "rejected", "revoked", "expired"])
def test_only_an_active_consent_admits_a_query(status):
    out = d.evaluate_access(terms(status=d.ConsentStatus(status)), req(), NOW, 0)
    assert isinstance(out, d.AccessRefusal) and out.code == f"consent_{status}"


def test_a_consent_past_its_expiry_is_expired_whatever_was_stored():
    out = d.evaluate_access(terms(valid_until=NOW), req(), NOW, 0)
    assert isinstance(out, d.AccessRefusal) and out.code == "consent_expired"


def test_another_institution_cannot_use_the_consent():
    out = d.evaluate_access(terms(), req(institution_id="bank-b"), NOW, 0)
    assert isinstance(out, d.AccessRefusal) and out.code == "consent_not_found"


def test_a_consent_covers_only_the_enterprise_that_gave_it():
    out = d.evaluate_access(terms(), req(credit_code="914403000000000276"), NOW, 0)
    assert isinstance(out, d.AccessRefusal) and out.code == "consent_other_enterprise"


def test_asking_for_a_category_not_granted_is_refused():
    out = d.evaluate_access(terms(), req(categories=frozenset({d.DataCategory.tax,
                                                               d.DataCategory.customs})), NOW, 0)
    assert isinstance(out, d.AccessRefusal) and "customs" in out.message


def test_frequency_limit_counts_uses_in_the_calendar_period_and_says_when_to_retry():
    out = d.evaluate_access(terms(), req(), NOW, uses_in_period=2)
    assert isinstance(out, d.AccessRefusal) and out.code == "consent_frequency_exhausted"
    assert out.retry_after_seconds == int((datetime(2026, 4, 1, tzinfo=UTC) - NOW).total_seconds()) + 1


def test_a_view_once_consent_is_consumed_by_its_first_use():
    grant = d.evaluate_access(terms(access_mode=d.AccessMode.once), req(), NOW, 0)
    assert isinstance(grant, d.AccessGrant) and grant.consumes
    out = d.evaluate_access(terms(access_mode=d.AccessMode.once, use_count=1), req(), NOW, 0)
    assert isinstance(out, d.AccessRefusal) and out.code == "consent_used"


@pytest.mark.parametrize(("status", "action", "target"), [
    ("requested", "approve", "active"), ("requested", "reject", "rejected"),
    ("active", "pause", "paused"), ("paused", "resume", "active"), ("active", "revoke", "revoked"),
    ("paused", "revoke", "revoked"), ("active", "expire", "expired"),
])
def test_legal_transitions(status, action, target):
    assert d.next_status(d.ConsentStatus(status), d.ConsentAction(action)) == target


@pytest.mark.parametrize(("status", "action"), [
    ("requested", "pause"), ("rejected", "approve"), ("revoked", "resume"), ("expired", "resume"),
    ("active", "approve"), ("revoked", "revoke"),
])
def test_illegal_transitions_are_refused(status, action):
    with pytest.raises(d.IllegalTransition):
        d.next_status(d.ConsentStatus(status), d.ConsentAction(action))


def test_approval_can_narrow_but_never_widen():
    asked = frozenset({d.DataCategory.tax, d.DataCategory.courts})
    assert d.narrow(frozenset({d.DataCategory.tax}), asked) == {d.DataCategory.tax}
    assert d.narrow(frozenset(), asked) == asked
    with pytest.raises(ValueError):
        d.narrow(frozenset({d.DataCategory.customs}), asked)


@pytest.mark.parametrize(("unit", "start", "end"), [
    ("day", datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC)),
    ("month", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
    ("year", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
])
def test_periods_are_calendar_periods(unit, start, end):
    assert d.period_start(NOW, d.PeriodUnit(unit)) == start
    assert d.period_end(NOW, d.PeriodUnit(unit)) == end


def test_december_rolls_into_the_next_year():
    assert d.period_end(datetime(2026, 12, 31, tzinfo=UTC), d.PeriodUnit.month) == \
        datetime(2027, 1, 1, tzinfo=UTC)
