"""The service-window sweep, called the way the CLI and a worker call it: flags once, alerts, audits,
logs a warning; a bank that answered in time, or a withdrawn application, is never flagged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from bayfin.financing.config import FinancingConfig, FinancingRuntime
from bayfin.financing.schemas import DemandIn, ProductIn, TransitionIn
from bayfin.financing.service import FinancingService
from bayfin.kernel.audit import AuditEntry
from bayfin.kernel.clock import FixedClock
from bayfin.kernel.security import Principal

FIRM = "91440101000000019F"
BANK = Principal(subject="officer", organization_id="BANK-A", organization_type="institution")
ENTERPRISE = Principal(subject="cfo", organization_id=FIRM, organization_type="enterprise")
OPERATOR = Principal(subject="ops", organization_id="OPERATOR", organization_type="operator")


def _service(session, platform, clock, **config):
    runtime = FinancingRuntime(FinancingConfig(**config))
    return FinancingService(session, platform.audit, clock, platform.tokens.keys, None, runtime)


def _apply(service):
    product = service.create_product(BANK, ProductIn(
        name="loan", product_type="credit", min_amount_fen=1, max_amount_fen=10**9, min_term_months=1,
        max_term_months=60, min_rate="0.04", max_rate="0.05"))
    demand = service.publish_demand(ENTERPRISE, DemandIn(amount_fen=10**6, term_months=12, purpose="x"))
    return service.apply(ENTERPRISE, demand.id, product.id)


def test_the_sweep_flags_an_unanswered_application_once_with_alert_audit_and_warning(
        session, platform, caplog):
    clock = FixedClock(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))  # Wednesday before National Day
    service = _service(session, platform, clock, holidays=FinancingConfig().holidays)
    late = _apply(service)
    answered = _apply(service)
    withdrawn = _apply(service)
    assert late.service_due_at == datetime(2026, 10, 14, 2, 0, tzinfo=UTC)  # 8, 9, 12, 13, 14 Oct
    clock.set(datetime(2026, 10, 14, 1, 0, tzinfo=UTC))
    service.transition(BANK, answered.id, TransitionIn(to="accepted"))
    service.transition(ENTERPRISE, withdrawn.id, TransitionIn(to="withdrawn"))
    assert service.sweep() == []
    clock.set(datetime(2026, 10, 14, 2, 1, tzinfo=UTC))
    with caplog.at_level(logging.WARNING, logger="bayfin.financing.service"):
        alerts = service.sweep()
    assert [a.application_id for a in alerts] == [late.id]
    assert "BANK-A" in caplog.text and late.id in caplog.text
    clock.advance(days=2)
    assert service.sweep() == []
    assert [a.id for a in service.alerts(OPERATOR)] == [alerts[0].id]
    session.flush()
    audited = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "financing.service_window.breach")).all()
    assert [(e.subject_id, e.outcome) for e in audited] == [(late.id, "flagged")]
    assert service.window_status(late).value == "breached"
    service.transition(BANK, late.id, TransitionIn(to="accepted"))  # a late answer still moves it on
    assert service.window_status(late).value == "responded"


def test_a_shorter_configured_window_is_used_for_new_applications(session, platform):
    clock = FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # Monday
    service = _service(session, platform, clock, holidays=frozenset(), service_window_days=2)
    assert _apply(service).service_due_at == datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
