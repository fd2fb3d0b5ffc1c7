"""Client credentials for institution systems, the verifier wiring, and scope refusals."""

from __future__ import annotations

from sqlalchemy import select

from bayfin.kernel.audit import AuditEntry


def _token(client, secret, scope=None, client_id="bank-a-core"):
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    return client.post("/oauth2/token", data=data, auth=(client_id, secret))


def test_an_institution_system_gets_a_token_carrying_its_org_roles_and_scopes(client, directory, platform):
    r = _token(client, directory.service_secret, scope="creditdata:query")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and "refresh_token" not in body
    principal = platform.token_verifier.verify(body["access_token"])
    assert principal.subject == "bank-a-core"
    assert principal.organization_id == "BANK-A"  # the organization code, not its row id
    assert principal.organization_type == "institution"
    assert principal.scopes == {"creditdata:query"}
    assert principal.roles == {"institution_system"}


def test_the_token_opens_a_bayfin_api_that_needs_its_scope_and_no_other(client, directory):
    token = _token(client, directory.service_secret, scope="identity:read").json()["access_token"]
    ok = client.get("/v1/identity/organizations", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert {o["code"] for o in ok.json()["items"]} >= {"BANK-A", "BANK-A-GZ"}
    refused = client.post("/v1/identity/organizations", headers={"Authorization": f"Bearer {token}"},
                          json={"code": "X", "name": "X", "org_type": "enterprise"})
    assert refused.status_code == 403
    assert refused.json()["required_scopes"] == ["identity:admin"]


def test_a_scope_the_app_was_not_given_is_not_granted(client, directory, platform):
    r = _token(client, directory.service_secret, scope="identity:admin creditdata:query")
    assert platform.token_verifier.verify(r.json()["access_token"]).scopes == {"creditdata:query"}


def test_a_wrong_client_secret_is_refused_and_audited(client, directory, session_factory):
    r = _token(client, "not-the-secret")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    with session_factory() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.outcome == "refused")).all()
    assert "identity.oauth.refuse" in actions


def test_a_public_client_cannot_use_client_credentials(client, directory):
    r = client.post("/oauth2/token", data={"grant_type": "client_credentials", "client_id": "console"})
    assert r.status_code in (400, 401)


def test_issuing_a_token_is_audited(client, directory, session_factory):
    _token(client, directory.service_secret)
    with session_factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "identity.token.issue")).first()
    assert entry is not None and entry.subject_id == "bank-a-core"
    assert entry.details["grant_type"] == "client_credentials"


def test_no_token_is_refused_with_401(client, directory):
    assert client.get("/v1/identity/users").status_code == 401


def test_tokens_minted_by_the_auth_headers_fixture_still_verify(client, auth_headers):
    r = client.get("/v1/identity/users", headers=auth_headers(roles=["platform_admin"],
                                                              scopes=["identity:read"]))
    assert r.status_code == 200
