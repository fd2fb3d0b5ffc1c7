"""A whole generated region ingests with every batch reconciling and every kind of defect quarantined."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bayfin.creditdata.domain import Reason
from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.models import QuarantinedRow
from bayfin.creditdata.service import ingest_file
from bayfin.kernel.ingest import read_manifest
from bayfin.simulation.creditdata.generate import generate_region


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("region")
    generate_region(out, 250, seed=5, defect_rate=0.08)
    return out


def test_a_generated_region_ingests_reconciled_with_each_defect_under_its_own_reason(session, region):
    reports = [ingest_file(session, e.path, load_mapping(e.source), e.as_of) for e in read_manifest(region)]
    assert all(r.counts.reconciles for r in reports)
    assert sum(r.counts.updated for r in reports) > 0  # the correction deliveries superseded values
    reasons = set(session.scalars(select(QuarantinedRow.reason).distinct()))
    assert reasons >= {r.value for r in Reason} - {Reason.ambiguous_name.value}
    total_in = sum(r.counts.rows_in for r in reports if not r.already_ingested)
    stored_or_not = sum(
        r.counts.stored + r.counts.updated + r.counts.unchanged for r in reports if not r.already_ingested
    )
    assert session.scalar(select(func.count()).select_from(QuarantinedRow)) == total_in - stored_or_not
    assert date(2023, 1, 10) in {r.as_of for r in reports}
