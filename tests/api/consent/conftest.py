import pytest

FIRM = "91440101000000019F"
OTHER_FIRM = "914403000000000276"


@pytest.fixture
def bank_a(auth_headers):
    return auth_headers("officer-a", org="bank-a", org_type="institution",
                        roles=["credit_officer"], scopes=["consent:request", "credit:read"])


@pytest.fixture
def bank_b(auth_headers):
    return auth_headers("officer-b", org="bank-b", org_type="institution",
                        roles=["credit_officer"], scopes=["consent:request", "credit:read"])


@pytest.fixture
def firm(auth_headers):
    return auth_headers("finance-manager", org=FIRM, org_type="enterprise",
                        roles=["enterprise_admin"], scopes=["consent:manage"])


@pytest.fixture
def request_body():
    return {"credit_code": FIRM, "purpose_code": "101", "purpose_text": "working-capital loan",
            "categories": ["tax", "courts", "registration"], "access_mode": "periodic",
            "frequency": {"unit": "month", "value": 5}, "data_from": "2024-01-01",
            "data_to": "2025-12-31", "validity_days": 90, "data_life": {"unit": "month", "value": 6}}
