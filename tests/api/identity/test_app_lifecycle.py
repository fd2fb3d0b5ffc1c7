"""An application's life after registration over the admin API: new redirect URIs and scopes, a
rotated secret with a grace period for the old one, disabling, deletion; each change audited."""

from __future__ import annotations

from sqlalchemy import select

from bayfin.kernel.audit import AuditEntry
from tests.api.identity.conftest import PORTAL_CB, authorize_params, login, pkce_pair


def _service_token(client, secret, scope=None):
    data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    return client.post("/oauth2/token", auth=("bank-a-core", secret), data=data)


def _platform_admin(auth_headers, *scopes):
    """The app lifecycle acts inside the caller's organization subtree; these tests act for the
    platform (another organization's administrator is tried in test_delegated_admin)."""
    return auth_headers(subject="op-1", org="OPERATOR", roles=["platform_admin"], scopes=list(scopes))


def _actions(platform, subject_id):
    with platform.session_factory() as s:
        return s.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == subject_id)
                         .order_by(AuditEntry.id)).all()


def test_new_redirect_uris_replace_the_old_ones_at_the_authorization_endpoint(
        client, directory, auth_headers, platform):
    admin = _platform_admin(auth_headers, "identity:admin")
    moved = "https://portal.example/v2/cb"
    r = client.patch("/v1/identity/apps/portal", json={"redirect_uris": [moved]}, headers=admin)
    assert r.status_code == 200 and r.json()["redirect_uris"] == [moved]
    login(client)
    old = client.get("/oauth2/authorize", follow_redirects=False,
                     params=authorize_params(redirect_uri=PORTAL_CB, challenge=pkce_pair()[1]))
    assert old.status_code == 400  # never redirected to an address the app no longer owns
    new = client.get("/oauth2/authorize", follow_redirects=False,
                     params=authorize_params(redirect_uri=moved, challenge=pkce_pair()[1]))
    assert new.status_code == 200  # the consent page
    assert client.patch("/v1/identity/apps/portal", json={"redirect_uris": ["http://evil.example/cb"]},
                        headers=admin).status_code == 422
    assert client.patch("/v1/identity/apps/portal", json={"client_type": "public"},
                        headers=admin).status_code == 422
    assert client.patch("/v1/identity/apps/portal", json={"redirect_uris": []},
                        headers=admin).status_code == 422  # it signs users in: it needs one
    app_id = r.json()["id"]
    assert "identity.app.update" in _actions(platform, app_id)


def test_fewer_scopes_apply_to_the_next_token(client, directory, auth_headers):
    admin = _platform_admin(auth_headers, "identity:admin")
    before = _service_token(client, directory.service_secret).json()["scope"].split()
    assert set(before) == {"creditdata:query", "identity:read"}
    r = client.patch("/v1/identity/apps/bank-a-core", json={"scopes": ["creditdata:query"]},
                     headers=admin)
    assert r.status_code == 200 and r.json()["scopes"] == ["creditdata:query"]
    after = _service_token(client, directory.service_secret, "creditdata:query identity:read").json()
    assert after["scope"] == "creditdata:query"


def test_a_rotated_secret_leaves_the_old_one_working_for_the_grace_period_only(
        client, directory, auth_headers, platform):
    admin = _platform_admin(auth_headers, "identity:admin", "identity:read")
    r = client.post("/v1/identity/apps/bank-a-core/secret", json={"grace_seconds": 3600},
                    headers=admin)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["client_secret"] != directory.service_secret and first["previous_secret_valid_until"]
    assert _service_token(client, directory.service_secret).status_code == 200  # in its grace
    assert _service_token(client, first["client_secret"]).status_code == 200
    r = client.post("/v1/identity/apps/bank-a-core/secret", json={"grace_seconds": 0}, headers=admin)
    second = r.json()
    assert second["previous_secret_valid_until"] is None
    for stale in (directory.service_secret, first["client_secret"]):
        refused = _service_token(client, stale)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert _service_token(client, second["client_secret"]).status_code == 200
    assert client.post("/v1/identity/apps/console/secret", json={},
                       headers=admin).status_code == 422  # a public client has no secret
    assert client.post("/v1/identity/apps/bank-a-core/secret", json={"grace_seconds": -1},
                       headers=admin).status_code == 422
    app_id = client.get("/v1/identity/apps/bank-a-core", headers=admin).json()["id"]
    assert _actions(platform, app_id).count("identity.app.secret_rotate") == 2
    with platform.session_factory() as s:
        details = s.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "identity.app.secret_rotate")).all()
    assert all(second["client_secret"] not in str(d) for d in details)  # secrets never logged


def test_deleting_an_app_ends_its_tokens_roles_and_consents(client, directory, auth_headers, platform):
    token = _service_token(client, directory.service_secret, "identity:read").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/identity/users", headers=bearer).status_code == 200
    admin = _platform_admin(auth_headers, "identity:admin", "identity:read")
    app_id = client.get("/v1/identity/apps/portal", headers=admin).json()["id"]
    assert client.delete("/v1/identity/apps/portal", headers=admin).status_code == 204
    assert client.get("/v1/identity/apps/portal", headers=admin).status_code == 404
    roles = client.get(f"/v1/identity/users/{directory.alice_id}/roles", headers=admin).json()["items"]
    assert {r["name"] for r in roles} == {"viewer"}  # the portal's analyst role went with it
    assert client.delete("/v1/identity/apps/bank-a-core", headers=admin).status_code == 204
    assert client.get("/v1/identity/users", headers=bearer).status_code == 401
    assert _service_token(client, directory.service_secret).status_code == 401
    assert "identity.app.delete" in _actions(platform, app_id)


def test_app_lifecycle_needs_the_admin_scope(client, directory, auth_headers):
    reader = auth_headers(scopes=["identity:read"])
    assert client.patch("/v1/identity/apps/portal", json={"active": False},
                        headers=reader).status_code == 403
    assert client.post("/v1/identity/apps/portal/secret", json={}, headers=reader).status_code == 403
    assert client.delete("/v1/identity/apps/portal", headers=reader).status_code == 403
    admin = _platform_admin(auth_headers, "identity:admin")
    assert client.delete("/v1/identity/apps/no-such-app", headers=admin).status_code == 404
