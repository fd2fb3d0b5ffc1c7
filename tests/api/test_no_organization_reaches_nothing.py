"""A caller whose token names no organization, however many roles and scopes it carries, lists nothing
of any tenant: 403 ``no_tenant_scope``, never an unfiltered list."""

import pytest

EVERYTHING = ["consent:request", "consent:manage", "credit:read", "financing:products", "financing:review",
              "financing:apply", "financing:operate", "financing:statistics", "fraud:read", "fraud:lists",
              "fraud:cases", "terminals:read"]
ROLES = ["operator", "fraud_analyst", "fraud_supervisor", "risk_analyst", "terminals_operator",
         "credit_officer"]


@pytest.mark.parametrize("path", ["/v1/consents", "/v1/financing/products", "/v1/financing/demands",
                                  "/v1/financing/applications", "/v1/monitoring/subscriptions",
                                  "/v1/monitoring/notifications", "/v1/fraud/cases", "/v1/fraud/lists",
                                  "/v1/fraud/totals", "/v1/risk/leads", "/v1/terminals/alarms"])
@pytest.mark.parametrize("org_type", ["institution", "enterprise", "operator", "regulator"])
def test_a_token_of_no_organization_lists_nothing(client, auth_headers, path, org_type):
    orphan = auth_headers("drifter", org=None, org_type=org_type, roles=ROLES, scopes=EVERYTHING)
    r = client.get(path, headers=orphan)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
