"""Hub features are point-in-time: nothing delivered after the date, no month at or after it."""

from datetime import date
from pathlib import Path

import pytest
from pytest import approx

from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.service import enterprise_record, ingest_file
from bayfin.kernel.ingest import read_manifest
from bayfin.scoring.features import compute_features, facts_from_record, features_as_of, features_of_record
from bayfin.simulation.creditdata.generate import generate_region
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


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("region")
    generate_region(out, 150, seed=11, defect_rate=0.03)
    return out


def test_the_plain_python_features_of_one_firm_equal_the_bulk_features_for_every_firm(session, region):
    for entry in read_manifest(region):
        ingest_file(session, entry.path, load_mapping(entry.source), entry.as_of)
    checked = 0
    for when in (date(2023, 8, 1), date(2024, 8, 1), date(2025, 3, 1)):
        bulk = features_as_of(session, when)
        for row in bulk.iter_rows(named=True):
            one = features_of_record(enterprise_record(session, row["credit_code"], when), when)
            assert one is not None and one.keys() == row.keys()
            for name, value in row.items():
                assert one[name] == (value if value is None or isinstance(value, str) else approx(value)), (
                    name
                )
            checked += 1
    assert checked > 300
