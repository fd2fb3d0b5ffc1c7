"""Console pages over HTTP on both databases: sign-in redirects, sealed sessions, CSRF, role checks,
HTML errors, and forms that keep what was typed. (The real SSO round trip runs in tests/e2e.)"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from bayfin.consent.models import Consent
from bayfin.kernel.security import Principal
from bayfin.web.session import LOGIN_COOKIE, SESSION_COOKIE, ConsoleSession, seal
from bayfin.web.wiring import WEB
from tests.api.creditreport.test_credit_reports import FIRM, hub  # noqa: F401


def sign_in(client, platform, subject, org, org_type, roles=(), scopes=()):
    """Give the test client a console session carrying an access token for this principal."""
    token = platform.tokens.issue(Principal(subject=subject, organization_id=org, organization_type=org_type,
                                            roles=frozenset(roles), scopes=frozenset(scopes)))
    now = int(time.time())
    session = ConsoleSession(sid=f"sid-{subject}", access_token=token, id_token="unused", refresh_token=None,
                             name=subject, expires_at=now + 600, started_at=now)
    client.cookies.set(SESSION_COOKIE, seal(platform.service(WEB), "session", session.__dict__),
                       path="/console")


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def officer(client, platform):
    sign_in(client, platform, "officer-a", "BANK-A", "institution", scopes=("consent:request", "credit:read"))
    return client


@pytest.fixture
def firm(client, platform):
    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("consent:manage",))
    return client


def test_a_page_without_a_session_redirects_to_the_sso_sign_in_and_comes_back(client):
    r = client.get("/console/firm/consents", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=/console/firm/consents"
    r = client.get(r.headers["location"], follow_redirects=False)
    target = urlparse(r.headers["location"])
    query = parse_qs(target.query)
    assert target.path == "/oauth2/authorize"
    assert query["client_id"] == ["bayfin-console"] and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"][0].endswith("/console/callback") and query["nonce"]
    assert LOGIN_COOKIE in r.cookies


def test_a_garbled_or_forged_session_cookie_counts_as_signed_out(client, platform):
    client.cookies.set(SESSION_COOKIE, "not-a-sealed-value", path="/console")
    assert client.get("/console/firm", follow_redirects=False).status_code == 303
    sealed_for_login = seal(platform.service(WEB), "login", {"sid": "x"})
    client.cookies.set(SESSION_COOKIE, sealed_for_login, path="/console")
    assert client.get("/console/firm", follow_redirects=False).status_code == 303


def test_a_callback_whose_state_does_not_match_is_refused(client):
    r = client.get("/console/callback?code=abc&state=forged", follow_redirects=False)
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]


def test_an_enterprise_sees_only_its_own_menu_and_cannot_open_the_operator_dashboard(firm, hub):  # noqa: F811
    page = firm.get("/console/firm")
    assert page.status_code == 200 and FIRM in page.text
    assert 'href="/console/firm/consents"' in page.text and 'href="/console/dashboard"' not in page.text
    r = firm.get("/console/dashboard")
    assert r.status_code == 403 and "<main" in r.text


def test_the_enterprise_reading_its_own_record_is_in_its_access_log(firm, hub):  # noqa: F811
    firm.get("/console/firm")
    log = firm.get("/console/firm/access-log")
    assert "creditdata.enterprise.read" in log.text and "own record" in log.text


def test_unknown_console_pages_are_html_404s_in_the_chosen_language(client):
    client.get("/console/lang/en?next=/console", follow_redirects=False)
    r = client.get("/console/nowhere")
    assert r.status_code == 404 and "There is no such page or record." in r.text
    client.get("/console/lang/zh", follow_redirects=False)
    assert "找不到该页面或记录。" in client.get("/console/nowhere").text


def _requested(officer, firm_code):
    form = officer.get(f"/console/credit/consents/new?credit_code={firm_code}")
    data = {"csrf_token": csrf(form.text), "credit_code": firm_code, "purpose_code": "101",
            "purpose_text": "working capital", "categories": ["registration", "tax", "courts"],
            "access_mode": "periodic", "frequency": "4", "data_from": "2023-01-01",
            "data_to": "2024-12-31", "validity_days": "90"}
    return form, data


def test_a_consent_request_with_a_bad_credit_code_says_so_next_to_the_field_and_keeps_the_rest(officer, hub):  # noqa: F811
    _, data = _requested(officer, FIRM)
    data.update(credit_code="91440000BADCODE", purpose_text="keep me")
    r = officer.post("/console/credit/consents", data=data)
    assert r.status_code == 422
    assert 'id="credit_code-error"' in r.text and 'aria-invalid="true"' in r.text
    assert 'value="keep me"' in r.text and 'value="91440000BADCODE"' in r.text
    assert 'value="courts" checked' in r.text


def test_a_form_without_the_sessions_csrf_token_is_refused(officer, hub, session):  # noqa: F811
    _, data = _requested(officer, FIRM)
    data["csrf_token"] = "0" * 64
    r = officer.post("/console/credit/consents", data=data)
    assert r.status_code == 403 and ("The form has expired" in r.text or "表单已过期" in r.text)
    assert session.query(Consent).filter_by(credit_code=FIRM).count() == 0


def test_the_firm_approves_a_narrowed_request_and_an_empty_approval_keeps_its_values(client, platform, hub,  # noqa: F811
                                                                                     session):
    sign_in(client, platform, "officer-a", "BANK-A", "institution", scopes=("consent:request", "credit:read"))
    _, data = _requested(client, FIRM)
    assert client.post("/console/credit/consents", data=data, follow_redirects=False).status_code == 303
    consent = session.query(Consent).filter_by(credit_code=FIRM).one()

    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("consent:manage",))
    page = client.get("/console/firm/consents")
    token = csrf(page.text)
    r = client.post(f"/console/firm/consents/{consent.id}/approve",
                    data={"csrf_token": token, "data_from": "2023-06-01", "data_to": "2024-06-30"})
    assert r.status_code == 422
    assert f'id="categories-{consent.id}-error"' in r.text and 'value="2023-06-01"' in r.text
    r = client.post(f"/console/firm/consents/{consent.id}/approve", follow_redirects=False,
                    data={"csrf_token": token, "categories": ["registration", "tax"],
                          "data_from": "2023-06-01", "data_to": "2024-06-30"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=approve")
    session.expire_all()
    approved = session.get(Consent, consent.id)
    assert approved.status == "active" and approved.categories == ["registration", "tax"]
    assert str(approved.data_from) == "2023-06-01"


def test_pages_carry_a_strict_content_security_policy_and_assets_are_served_by_bayfin(client):
    r = client.get("/console")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    asset = client.get("/console/static/vendor/echarts.min.js")
    assert asset.status_code == 200 and "max-age" in asset.headers["cache-control"]
    assert client.get("/console/static/../wiring.py").status_code == 404
    assert client.get("/console/static/vendor/MANIFEST.json").status_code == 404
    assert client.get("/", follow_redirects=False).headers["location"] == "/console"


def test_the_firm_rejects_one_request_and_revokes_a_live_consent_which_stops_the_next_report(
        client, platform, hub, session):  # noqa: F811
    sign_in(client, platform, "officer-a", "BANK-A", "institution", scopes=("consent:request", "credit:read"))
    for _ in range(2):
        _, data = _requested(client, FIRM)
        assert client.post("/console/credit/consents", data=data, follow_redirects=False).status_code == 303
    first, second = session.query(Consent).filter_by(credit_code=FIRM).order_by(Consent.created_at).all()

    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("consent:manage",))
    token = csrf(client.get("/console/firm/consents").text)
    r = client.post(f"/console/firm/consents/{first.id}/reject", data={"csrf_token": token},
                    follow_redirects=False)
    assert r.headers["location"].endswith("done=reject")
    client.post(f"/console/firm/consents/{second.id}/approve", data={
        "csrf_token": token, "categories": ["registration", "tax"]})
    sign_in(client, platform, "officer-a", "BANK-A", "institution", scopes=("consent:request", "credit:read"))
    assert client.get(f"/console/credit/report/{FIRM}?consent_id={second.id}").status_code == 200

    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("consent:manage",))
    assert client.post(f"/console/firm/consents/{second.id}/revoke", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    again = client.post(f"/console/firm/consents/{second.id}/revoke", data={"csrf_token": token})
    assert again.status_code == 409, "a revoked consent cannot be revoked twice"
    sign_in(client, platform, "officer-a", "BANK-A", "institution", scopes=("consent:request", "credit:read"))
    refused = client.get(f"/console/credit/report/{FIRM}?consent_id={second.id}")
    assert refused.status_code == 403 and "<main" in refused.text
    session.expire_all()
    assert session.get(Consent, first.id).status == "rejected"
    assert session.get(Consent, second.id).status == "revoked"
