"""GET /v1/scores/{code}: a score only under a live consent that includes the score category."""

import pytest

from bayfin.scoring import SCORING
from bayfin.scoring import model as registry
from tests.api.creditreport.test_credit_reports import FIRM, OTHER, consent_for, hub  # noqa: F401
from tests.unit.scoring.test_scorecard import synthetic


@pytest.fixture
def scoring_model(platform):
    features, y = synthetic(1200)
    registry.save(registry.fit_model(features, y, challenger=False), platform.settings.data_dir)
    platform.service(SCORING).reload()


@pytest.fixture
def bank(auth_headers):
    return auth_headers("officer-a", org="BANK-A", org_type="institution",
                        scopes=["consent:request", "credit:read"])


def test_a_consented_score_has_band_pd_plain_reasons_and_is_audited(
        client, hub, bank, auth_headers, scoring_model, platform, session_factory):  # noqa: F811
    cid = consent_for(client, bank, auth_headers, FIRM, ["score"])
    r = client.get(f"/v1/scores/{FIRM}", params={"consent_id": cid}, headers=bank)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["credit_code"] == FIRM and body["model_version"] == "v1"
    assert body["band"] in "ABCDEFGH" and 0.0 <= body["pd"] <= 1.0
    assert all(reason["text"] for reason in body["reasons"])
    from sqlalchemy import text
    with session_factory() as s:
        actions = s.execute(text("select action, outcome from audit_log")).all()
    assert ("scoring.read", "ok") in [tuple(a) for a in actions]


def test_a_consent_without_the_score_category_is_refused(
        client, hub, bank, auth_headers, scoring_model):  # noqa: F811
    cid = consent_for(client, bank, auth_headers, FIRM, ["tax"])
    r = client.get(f"/v1/scores/{FIRM}", params={"consent_id": cid}, headers=bank)
    assert r.status_code == 403


def test_a_consent_of_one_firm_does_not_score_another(client, hub, bank, auth_headers, scoring_model):  # noqa: F811
    cid = consent_for(client, bank, auth_headers, FIRM, ["score"])
    r = client.get(f"/v1/scores/{OTHER}", params={"consent_id": cid}, headers=bank)
    assert r.status_code == 403


def test_scores_need_a_token_and_an_institution_with_the_credit_scope(client, auth_headers):
    assert client.get(f"/v1/scores/{FIRM}", params={"consent_id": "x"}).status_code == 401
    firm = auth_headers("owner", org=FIRM, org_type="enterprise", scopes=["credit:read"])
    assert client.get(f"/v1/scores/{FIRM}", params={"consent_id": "x"}, headers=firm).status_code == 403


def test_without_a_registered_model_the_service_is_unavailable(client, hub, bank, auth_headers):  # noqa: F811
    cid = consent_for(client, bank, auth_headers, FIRM, ["score"])
    r = client.get(f"/v1/scores/{FIRM}", params={"consent_id": cid}, headers=bank)
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
