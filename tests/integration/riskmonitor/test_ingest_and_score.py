"""Evidence ingestion, linking, tags, the index, alerts, leads and portraits on a real database."""

from datetime import date

import pytest
from sqlalchemy import select

from bayfin.kernel.errors import Conflict
from bayfin.riskmonitor import leads as lead_service
from bayfin.riskmonitor import repository as repo
from bayfin.riskmonitor.models import RiskEvidence, RiskTag
from tests.integration.creditdata.deliveries import code
from tests.integration.riskmonitor.evidence import (
    hotline_file,
    licence_file,
    monitor,
    police_file,
    register_firms,
    web_file,
)

AS_OF = date(2024, 6, 1)


@pytest.fixture
def loaded(session, tmp_path):
    register_firms(session, tmp_path)
    mon = monitor()
    reports = [
        mon.ingest(session, licence_file(tmp_path), "risk_licences", AS_OF),
        mon.ingest(session, web_file(tmp_path), "risk_web", AS_OF),
        mon.ingest(session, hotline_file(tmp_path), "risk_hotline", AS_OF),
    ]
    return mon, reports


def test_every_row_is_stored_or_quarantined_with_a_reason(loaded, session):
    _mon, reports = loaded
    for r in reports:
        assert r.rows_in == r.stored + r.duplicate + r.quarantined
    licences, web, hotline = reports
    assert (licences.stored, licences.quarantined) == (1, 1)
    assert (web.rows_in, web.stored, web.quarantined) == (4, 2, 2)
    assert (hotline.rows_in, hotline.stored, hotline.quarantined) == (5, 4, 1)
    reasons = sorted(q.reason for q in repo.quarantined(session))
    assert reasons == ["invalid_credit_code", "invalid_date", "malformed_record", "missing_field"]


def test_ingesting_the_same_file_again_changes_nothing(loaded, session, tmp_path):
    mon, _ = loaded
    before = session.query(RiskEvidence).count()
    again = mon.ingest(session, hotline_file(tmp_path), "risk_hotline", AS_OF)
    assert again.already_ingested and session.query(RiskEvidence).count() == before


def test_imprecise_mentions_link_to_the_firm_and_the_unknown_shop_waits_for_review(loaded, session):
    linked = {e.reference: (e.credit_code, e.link_method) for e in session.scalars(select(RiskEvidence))}
    assert linked["RX1"] == (code(1), "fuzzy_name")
    assert linked["RX2"][0] == code(1)
    assert linked["RX3"] == (code(1), "phone")
    assert linked["https://a.example.cn"] == (code(1), "icp_filing")
    queue = repo.review_queue(session)
    assert [e.reference for e in queue] == ["RX4"]


def test_tags_keep_their_evidence_source_date_and_snippet(loaded, session):
    tags = session.scalars(select(RiskTag).where(RiskTag.credit_code == code(1))).all()
    names = {t.tag for t in tags}
    assert {
        "guaranteed_return",
        "referral_pyramid",
        "category:virtual_tokens",
        "fund_withdrawal_blocked",
    } <= names
    guaranteed = next(t for t in tags if t.tag == "guaranteed_return" and t.source == "risk_web")
    assert guaranteed.occurred_on == date(2024, 5, 2) and "保本保息" in guaranteed.snippet
    assert not [t for t in session.scalars(select(RiskTag).where(RiskTag.credit_code == code(3)))]


def test_new_evidence_rescores_the_firm_raises_an_alert_and_opens_a_lead(loaded, session, tmp_path):
    mon, _ = loaded
    before = repo.latest_scores(session, [code(1)])[code(1)]
    report = mon.ingest(session, police_file(tmp_path), "risk_police", AS_OF)
    after = repo.latest_scores(session, [code(1)])[code(1)]
    assert after.score > before.score and report.rescored == 1
    assert after.estimates["people"] >= 120 and after.estimates["amount_fen"] == 860 * 1_000_000
    assert after.explanation and after.explanation[0]["points"] > 0
    assert after.level in ("high", "critical")
    crossings = [a for a in report.alerts if a["credit_code"] == code(1)] or repo.alerts(session)
    assert crossings
    opened = repo.leads(session, code=code(1))
    assert len(opened) == 1 and opened[0].status == "open"


def test_a_lead_moves_through_its_workflow_and_its_outcome_is_counted(loaded, session, tmp_path):
    mon, _ = loaded
    mon.ingest(session, police_file(tmp_path), "risk_police", AS_OF)
    lead = repo.leads(session, code=code(1))[0]
    with pytest.raises(Conflict):
        lead_service.move_lead(session, mon.clock, lead.id, "confirmed", actor="t")
    lead_service.move_lead(session, mon.clock, lead.id, "dispatched", actor="t", assignee="天河区金融工作局")
    lead_service.move_lead(session, mon.clock, lead.id, "investigating", actor="t")
    lead_service.move_lead(session, mon.clock, lead.id, "confirmed", actor="t", note="立案")
    assert lead_service.lead_outcomes(session)["confirmed"] == 1
    texts, labels = lead_service.feedback_examples(session)
    assert texts and labels[0] == lead.categories


def test_the_portrait_shows_profile_tags_history_related_firms_and_leads(loaded, session, tmp_path):
    mon, _ = loaded
    mon.ingest(session, police_file(tmp_path), "risk_police", AS_OF)
    portrait = lead_service.portrait(session, code(1))
    assert portrait["profile"]["name"] == "广州鑫源泰投资咨询有限公司"
    assert len(portrait["history"]) >= 2 and portrait["tags"]
    assert code(2) in [r["credit_code"] for r in portrait["related_firms"]]
    assert portrait["leads"]
    aggregate = {t["tag"]: t for t in portrait["tags"] if t["method"] == "aggregate"}
    assert "unlicensed_finance" in aggregate and aggregate["unlicensed_finance"]["source"] == "index"


def test_a_reviewed_mention_is_linked_and_rescored(loaded, session):
    mon, _ = loaded
    open_item = repo.review_queue(session)[0]
    mon.resolve_mention(session, open_item.id, code(4))
    assert not repo.review_queue(session)
    assert code(4) in repo.latest_scores(session, [code(4)])


def test_scoring_everyone_covers_every_registered_firm(loaded, session):
    mon, _ = loaded
    result = mon.score_all(session)
    assert result["scored"] == 4 and sum(result["levels"].values()) == 4
