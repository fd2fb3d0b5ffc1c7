"""The web console in a real browser: headless Chromium against a real uvicorn server, each role's
main flow signed in through the identity platform's SSO, with a screenshot of each main page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bayfin.consent.models import Consent
from bayfin.creditdata.models import RegistrationInformation
from bayfin.kernel.audit import AuditEntry
from bayfin.kernel.tenancy import TenantScope
from tests.e2e.browser import open_chromium, require_chromium, screenshot
from tests.e2e.console_server import ConsoleServer, console_server

pytestmark = pytest.mark.browser
VENDOR = Path(__file__).resolve().parents[2] / "src" / "bayfin" / "web" / "static" / "vendor"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    require_chromium()
    with console_server(tmp_path_factory.mktemp("console")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser(server: ConsoleServer) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = open_chromium(pw)
        yield chromium
        chromium.close()


def new_page(browser: Any, server: ConsoleServer, lang: str = "zh-CN") -> Any:
    context = browser.new_context(base_url=server.base, locale=lang, viewport={"width": 1280, "height": 900})
    return context.new_page()


def sign_in(page: Any, server: ConsoleServer, username: str, start: str = "/console") -> None:
    """Sign in through the identity platform's own login form (SSO)."""
    page.goto(start)
    if page.url.endswith("/console") or "/console/signed-out" in page.url:
        page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/oauth2/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", server.password)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/console/"))


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core findings on the current page."""
    page.add_script_tag(url="/console/static/vendor/axe.min.js")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_a_visitor_sees_the_sign_in_page_in_either_language_and_html_error_pages(browser, server):
    page = new_page(browser, server)
    page.goto("/console")
    assert page.get_by_test_id("sign-in").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "登录" in page.get_by_test_id("sign-in").inner_text()
    screenshot(page, "01-welcome-zh")
    page.keyboard.press("Tab")  # the first stop is the skip link, and it lands on the main content
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_role("link", name="Switch to English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_test_id("sign-in").inner_text() == "Sign in with bayfin SSO"
    response = page.goto("/console/no-such-page")
    assert response.status == 404
    assert page.get_by_test_id("error-message").inner_text() == "There is no such page or record."
    response = page.goto("/console/dashboard")  # needs a sign-in: the browser lands on the SSO form
    assert "/oauth2/login" in page.url
    page.context.close()


def test_the_operator_dashboard_shows_the_databases_numbers_on_the_guangdong_map(browser, server):
    page = new_page(browser, server, "en")
    sign_in(page, server, "operator")
    assert page.url.endswith("/console/dashboard")
    with server.platform.session_factory() as s:
        registered = s.scalar(select(func.count(func.distinct(RegistrationInformation.credit_code)))
                              .where(RegistrationInformation.replaced_on.is_(None)))
        guangzhou = s.scalar(select(func.count(func.distinct(RegistrationInformation.credit_code)))
                             .where(RegistrationInformation.replaced_on.is_(None),
                                    RegistrationInformation.city_code.startswith("4401")))
    assert registered and registered > 0
    assert page.get_by_test_id("enterprises").inner_text() == f"{registered:,}"
    row = page.locator("tr[data-city='440100'] td").first
    assert row.inner_text() == f"{guangzhou:,}"
    page.wait_for_function("() => window.echarts && echarts.getInstanceByDom("
                           "document.getElementById('chart-map'))")
    assert page.locator("#chart-map canvas").count() == 1
    nav = page.get_by_role("navigation", name="Main navigation")
    assert nav.get_by_role("link", name="Data hub status").is_visible()
    assert nav.get_by_role("link", name="My credit record").count() == 0
    screenshot(page, "10-operator-dashboard")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Data hub status").click()
    assert page.get_by_test_id("total-batches").inner_text() != "0"
    screenshot(page, "11-operator-hub")

    page.get_by_role("link", name="Audit log").click()
    page.get_by_test_id("verify").click()
    result = page.get_by_test_id("audit-result")
    result.wait_for()
    assert "The audit chain holds." in result.inner_text()
    with server.platform.session_factory() as s:
        sealed = s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.seq.is_not(None)))
    assert int(page.get_by_test_id("audit-entries").inner_text()) <= sealed
    screenshot(page, "12-operator-audit")
    page.context.close()


def test_an_officer_requests_consent_the_firm_narrows_it_and_the_officer_reads_the_report(browser, server):
    officer = new_page(browser, server, "en")
    sign_in(officer, server, "officer")
    assert officer.url.endswith("/console/credit/search")
    officer.fill("#q", server.firm_name[2:8])
    officer.get_by_role("button", name="Search").click()
    results = officer.get_by_test_id("search-results")
    results.wait_for()
    assert server.firm_code in results.inner_text()
    screenshot(officer, "20-officer-search")
    officer.get_by_role("link", name=re.compile(f"Request consent: {re.escape(server.firm_name)}")).click()
    officer.fill("#purpose_text", "")
    officer.fill("#data_from", "2031-01-01")
    officer.get_by_test_id("send-request").click()
    # a server-side refusal: errors next to the fields, focus on the first one, typed values kept
    assert officer.locator("#purpose_text-error").is_visible()
    assert officer.locator("#purpose_text").get_attribute("aria-invalid") == "true"
    assert officer.evaluate("document.activeElement.id") == "purpose_text"
    assert officer.input_value("#data_from") == "2031-01-01"
    assert officer.locator("#data_from-error").inner_text() == "The start must not be after the end."
    assert officer.locator("#purpose_text-error").inner_text() == "This field is required."
    assert officer.input_value("#credit_code") == server.firm_code
    screenshot(officer, "21-officer-request-errors")
    officer.fill("#purpose_text", "Working-capital loan review")
    officer.fill("#data_from", "2023-01-01")
    officer.get_by_test_id("send-request").click()
    assert officer.url.endswith("/console/credit/consents?done=request")
    assert "requested" in officer.get_by_test_id("my-consents").inner_text()

    firm = new_page(browser, server, "en")
    sign_in(firm, server, "firm")
    assert firm.url.endswith("/console/firm")
    assert server.firm_code in firm.get_by_test_id("registration").inner_text()
    screenshot(firm, "30-firm-record")
    firm.get_by_role("link", name="Consents").click()
    pending = firm.get_by_test_id("pending-consent")
    assert pending.count() == 1
    with server.platform.session_factory() as s:
        consent_id = s.scalar(select(Consent.id).where(Consent.credit_code == server.firm_code))
    firm.get_by_role("checkbox", name="courts").uncheck()
    assert axe_violations(firm) == []
    screenshot(firm, "31-firm-consents")
    firm.get_by_test_id(f"approve-{consent_id}").click()
    assert firm.get_by_role("status").inner_text() == "The consent is approved."
    assert firm.get_by_test_id("live-consent").count() == 1

    officer.goto("/console/credit/consents")
    officer.get_by_test_id(f"report-{consent_id}").click()
    assert officer.get_by_role("heading", level=1).inner_text().startswith("Credit report")
    assert officer.locator("#sec-judicial_case").count() == 0, "the firm took courts out"
    assert officer.locator("#sec-tax_payment").count() == 1
    assert 300 <= int(officer.get_by_test_id("score").inner_text()) <= 900
    assert officer.get_by_test_id("reasons").locator("li").count() >= 1
    screenshot(officer, "22-officer-report")

    firm.get_by_role("link", name="Who viewed my data").click()
    log = firm.get_by_test_id("access-log").inner_text()
    assert "BANK-GD-GZ" in log and "credit_report.read" in log
    screenshot(firm, "32-firm-access-log")
    firm.get_by_role("link", name="Consents").click()
    firm.get_by_test_id(f"pause-{consent_id}").click()
    assert firm.get_by_role("status").inner_text() == "The consent is paused."

    response = officer.goto(f"/console/credit/report/{server.firm_code}?consent_id={consent_id}")
    assert response.status == 403, "a paused consent refuses the very next report"
    with server.platform.session_factory() as s:
        refusals = s.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.subject_id == server.firm_code, AuditEntry.outcome == "refused"))
    assert refusals == 1

    with server.platform.session_factory() as s:
        issued = s.scalars(select(AuditEntry.details)
                           .where(AuditEntry.action == "identity.token.issue")).all()
    assert any(d.get("grant_type") == "refresh_token" for d in issued), "31 s tokens were refreshed"

    officer.get_by_role("button", name="Sign out").click()
    officer.wait_for_url(re.compile(r"/console/signed-out"))
    officer.goto("/console/credit/consents")
    assert "/oauth2/login" in officer.url, "signing out ended the SSO session too"
    officer.context.close()
    firm.context.close()


def test_a_risk_analyst_sees_the_index_distribution_the_leads_and_a_firms_portrait(browser, server):
    from bayfin.riskmonitor import repository as risk_repo

    page = new_page(browser, server, "en")
    sign_in(page, server, "analyst")
    assert page.url.endswith("/console/risk")
    with server.platform.session_factory() as s:
        scores = risk_repo.latest_scores(s)
    assert page.get_by_test_id("rated").inner_text() == f"{len(scores):,}"
    page.wait_for_function("() => echarts.getInstanceByDom(document.getElementById('chart-risk'))")
    screenshot(page, "40-risk-overview")
    worst = max(scores.values(), key=lambda s: s.score)
    page.goto(f"/console/risk/firms/{worst.credit_code}")
    assert page.get_by_test_id("risk-index").inner_text() == f"{worst.score:.1f}"
    screenshot(page, "41-risk-portrait")
    with server.platform.session_factory() as s:
        audited = s.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "riskmonitor.portrait.read", AuditEntry.subject_id == worst.credit_code))
    assert audited == 1
    page.context.close()


def test_a_fraud_analyst_sees_the_blocked_amount_by_typology_of_their_own_bank(browser, server):
    from bayfin.antifraud.decisions import repository as fraud_repo

    page = new_page(browser, server, "en")
    sign_in(page, server, "operator", "/console/fraud")
    with server.platform.session_factory() as s:
        totals = fraud_repo.totals(s, by="typology", since=None, until=None, scope=TenantScope.system("test"))
    protected = sum(r["amount_protected_fen"] for r in totals)
    assert protected > 0
    assert page.get_by_test_id("protected").inner_text() == f"{protected / 100:,.2f}"
    stream = page.get_by_test_id("decision-stream").locator("tbody tr")
    assert stream.count() == 50  # held decisions first: what the analyst works
    assert "ALLOW" not in page.get_by_test_id("decision-stream").inner_text()
    screenshot(page, "50-fraud")
    page.get_by_role("link", name="All decisions").click()
    page.wait_for_url("**/console/fraud?show=all")
    assert page.get_by_test_id("decision-stream").locator("tbody tr").count() == 50
    assert "ALLOW" in page.get_by_test_id("decision-stream").inner_text()
    page.goto("/console/terminals")
    assert page.get_by_role("img", name="Map of sites by status").is_visible()
    assert page.evaluate("document.querySelector('img.terminal-map').naturalWidth") > 0
    screenshot(page, "60-terminals")
    page.get_by_role("link", name="SN-E2E-0001").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Terminal history: SN-E2E-0001"
    screenshot(page, "61-terminal-history")
    page.context.close()

    other_bank = new_page(browser, server, "en")
    sign_in(other_bank, server, "fraud", "/console/fraud")
    # the demo stream was decided for "demo-bank": another institution sees none of it (API rule)
    assert other_bank.get_by_test_id("protected").inner_text() == "0.00"
    other_bank.context.close()


def test_a_firm_publishes_a_demand_applies_and_the_bank_works_its_queue(browser, server):
    from bayfin.financing import domain as fd
    from bayfin.financing.models import LoanApplication, OperatorAlert

    firm = new_page(browser, server, "en")
    sign_in(firm, server, "firm", "/console/financing/demands")
    firm.fill("#amount", "abc")
    firm.get_by_test_id("publish-demand").click()
    assert firm.locator("#amount-error").is_visible() and firm.locator("#purpose-error").is_visible()
    assert firm.evaluate("document.activeElement.id") == "amount"
    assert firm.input_value("#amount") == "abc"
    firm.fill("#amount", "300000")
    firm.fill("#purpose", "working capital for orders in hand")
    firm.get_by_test_id("publish-demand").click()
    assert "/console/financing/demands/" in firm.url
    assert firm.get_by_role("status").inner_text() == "The demand is published."
    eligible = firm.get_by_test_id("eligible")
    assert eligible.locator("tbody tr").count() >= 1
    assert eligible.locator("ul.reasons li").count() >= 1, "every match says why"
    screenshot(firm, "70-firm-matches")
    eligible.locator("button").first.click()
    assert firm.url.endswith("/console/financing/applications?done=apply")
    rows = firm.get_by_test_id("applications").locator("tbody tr")
    assert "submitted" in rows.first.inner_text()
    screenshot(firm, "71-firm-applications")
    rows.first.get_by_role("link").click()
    firm.wait_for_url(re.compile(r"/console/financing/applications/app_"))  # count() does not wait
    firm.get_by_test_id("events").locator("li").first.wait_for()
    assert firm.get_by_test_id("events").locator("li").count() >= 1
    assert firm.get_by_test_id("withdraw").is_visible(), "before a decision the firm may withdraw"
    screenshot(firm, "72-firm-application")
    with server.platform.session_factory() as s:
        mine = s.scalars(select(LoanApplication).where(LoanApplication.credit_code == server.firm_code)).one()
    firm.context.close()

    officer = new_page(browser, server, "en")
    sign_in(officer, server, "officer", "/console/financing/queue")
    queue = officer.get_by_test_id("queue")
    with server.platform.session_factory() as s:
        breached = s.scalar(select(func.count(LoanApplication.id)).where(
            LoanApplication.institution_id == "BANK-GD-GZ", LoanApplication.window_breached_at.is_not(None),
            LoanApplication.responded_at.is_(None)))
    if mine.institution_id == "BANK-GD-GZ":
        assert officer.get_by_test_id(f"move-{mine.id}").is_visible()
        officer.select_option(f"#to-{mine.id}", "accepted")
        officer.get_by_test_id(f"move-{mine.id}").click()
        assert officer.get_by_role("status").inner_text() == "The application moved on."
    if breached:
        assert officer.get_by_test_id("breached-warning").is_visible()
    assert queue.locator("tbody tr").count() >= 1
    screenshot(officer, "75-officer-queue")

    officer.get_by_role("link", name="Loan products").click()
    officer.fill("#name", "Console e2e micro loan")
    officer.fill("#min_rate", "four percent")
    officer.get_by_test_id("publish-product").click()
    assert officer.locator("#min_rate-error").is_visible()
    assert officer.input_value("#name") == "Console e2e micro loan"
    officer.fill("#min_rate", "0.0400")
    officer.get_by_test_id("publish-product").click()
    assert "Console e2e micro loan" in officer.get_by_test_id("products").inner_text()
    screenshot(officer, "73-officer-products")
    officer.get_by_role("link", name="Lead list").click()
    screenshot(officer, "74-officer-leads")
    officer.context.close()

    operator = new_page(browser, server, "en")
    sign_in(operator, server, "operator")
    with server.platform.session_factory() as s:
        financed = s.scalar(select(func.count(LoanApplication.id))
                            .where(LoanApplication.state.in_(sorted(fd.FINANCED))))
    assert financed and operator.get_by_test_id("financings").inner_text() == f"{financed:,}"
    with server.platform.session_factory() as s:
        late = s.scalar(select(func.count(OperatorAlert.id)))
    assert late and operator.get_by_test_id("window-alerts").locator("tbody tr").count() == min(late, 20)
    screenshot(operator, "13-operator-dashboard-financing")
    operator.context.close()
