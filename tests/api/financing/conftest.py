"""Fixtures of the financing API tests: a small hub (three firms, two cities), a fixed clock, the
parties' tokens and helpers that drive the marketplace over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.service import ingest_file
from bayfin.kernel.clock import FixedClock
from tests.integration.creditdata.deliveries import REG_HEADER, code, reg_line, write

FIRM, SECOND, THIRD = code(1), code(2), code(3)
#: Monday 2 March 2026, 10:00 in Guangzhou.
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock(platform):
    platform.clock = FixedClock(MONDAY)
    return platform.clock


@pytest.fixture
def hub(platform, tmp_path):
    rows = [reg_line(1), reg_line(2), reg_line(3, city="深圳市")]
    with platform.unit_of_work() as uow:
        ingest_file(uow.session, write(tmp_path / "reg.csv", REG_HEADER, rows),
                    load_mapping("amr_registration"), date(2024, 1, 5))
        uow.commit()


@pytest.fixture
def bank(auth_headers):
    return auth_headers("officer-a", org="BANK-A", org_type="institution",
                        scopes=["financing:products", "financing:review", "consent:request"])


@pytest.fixture
def bank_b(auth_headers):
    return auth_headers("officer-b", org="BANK-B", org_type="institution",
                        scopes=["financing:products", "financing:review"])


@pytest.fixture
def firm(auth_headers):
    return auth_headers("cfo-1", org=FIRM, org_type="enterprise", scopes=["financing:apply",
                                                                         "consent:manage"])


@pytest.fixture
def second(auth_headers):
    return auth_headers("cfo-2", org=SECOND, org_type="enterprise", scopes=["financing:apply"])


@pytest.fixture
def operator(auth_headers):
    return auth_headers("ops", org="OPERATOR", org_type="operator",
                        scopes=["financing:operate", "financing:statistics"])


def product_body(**overrides):
    body = {"name": "SME working-capital loan", "product_type": "credit",
            "min_amount_fen": 10_000_000, "max_amount_fen": 500_000_000, "min_term_months": 3,
            "max_term_months": 36, "min_rate": "0.0350", "max_rate": "0.0600"}
    return {**body, **overrides}


def make_product(client, headers, **overrides):
    r = client.post("/v1/financing/products", headers=headers, json=product_body(**overrides))
    assert r.status_code == 201, r.text
    return r.json()


def make_demand(client, headers, amount_fen=100_000_000, term_months=12, **extra):
    r = client.post("/v1/financing/demands", headers=headers,
                    json={"amount_fen": amount_fen, "term_months": term_months,
                          "purpose": "working capital", **extra})
    assert r.status_code == 201, r.text
    return r.json()


def make_application(client, headers, demand_id, product_id):
    r = client.post("/v1/financing/applications", headers=headers,
                    json={"demand_id": demand_id, "product_id": product_id})
    assert r.status_code == 201, r.text
    return r.json()


def move(client, headers, application_id, to, **terms):
    return client.post(f"/v1/financing/applications/{application_id}/transitions", headers=headers,
                       json={"to": to, **terms})
