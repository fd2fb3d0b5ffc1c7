"""Hub features are point-in-time: nothing delivered after the date, no month at or after it."""

from datetime import date

from bayfin.creditdata.service import enterprise_record
from bayfin.scoring.features import compute_features, facts_from_record, features_as_of
from tests.api.creditreport.test_credit_reports import FIRM, OTHER, hub  # noqa: F401


def test_a_delivery_made_after_the_date_is_not_seen(platform, hub):  # noqa: F811
    with platform.session_factory() as s:
        before = features_as_of(s, date(2025, 1, 1))
        after = features_as_of(s, date(2025, 2, 1))
    firm_before = before.filter(before["credit_code"] == FIRM).row(0, named=True)
    firm_after = after.filter(after["credit_code"] == FIRM).row(0, named=True)
    assert firm_before["months_reported"] == 0 and firm_before["tax_grade"] is None
    assert firm_after["months_reported"] == 24 and firm_after["tax_grade"] == 1.0  # grade code 2 = B


def test_one_firm_from_its_record_gets_the_same_features_as_the_bulk_path(platform, hub):  # noqa: F811
    when = date(2025, 2, 1)
    with platform.session_factory() as s:
        bulk = features_as_of(s, when)
        single = compute_features(facts_from_record(enterprise_record(s, OTHER, when)), when)
    assert single.row(0) == bulk.filter(bulk["credit_code"] == OTHER).row(0)
