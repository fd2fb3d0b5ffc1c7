"""Sign-in refusals (lock-out, enumeration, CSRF), disabling users, key rotation, admin refusals."""

from __future__ import annotations

from tests.api.identity.conftest import PASSWORD, authorize_params, login


def _service_token(client, directory, scope="identity:read"):
    return client.post("/oauth2/token", data={"grant_type": "client_credentials", "scope": scope},
                       auth=("bank-a-core", directory.service_secret)).json()["access_token"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, directory):
    wrong = login(client, password="wrong password 1")
    unknown = login(client, username="nobody-here", password="wrong password 1")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda html: html.replace("nobody-here", "alice")  # noqa: E731
    assert strip(unknown.text).split('name="csrf_token"')[1] == wrong.text.split('name="csrf_token"')[1]


def test_repeated_failures_lock_the_account_even_against_the_right_password(client, directory):
    for _ in range(5):
        assert login(client, password="wrong password 1").status_code == 401
    locked = login(client)
    assert locked.status_code == 429
    assert "seconds" in locked.text or "秒" in locked.text


def test_an_unknown_name_locks_the_same_way_so_a_lock_reveals_nothing(client, directory):
    for _ in range(5):
        login(client, username="ghost", password="wrong password 1")
    assert login(client, username="ghost", password="wrong password 1").status_code == 429


def test_many_names_from_one_address_lock_the_address(client, directory):
    for i in range(20):
        login(client, username=f"spray{i}", password="wrong password 1")
    assert login(client).status_code == 429


def test_the_login_form_refuses_a_post_without_its_csrf_token(client, directory):
    r = client.post("/oauth2/login", data={"username": "alice", "password": PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 403 and "bayfin_sso" not in r.cookies


def test_the_login_page_speaks_chinese_or_english(client, directory):
    zh = client.get("/oauth2/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    en = client.get("/oauth2/login", headers={"Accept-Language": "en-GB"})
    assert 'lang="zh-CN"' in zh.text and "用户名" in zh.text
    assert 'lang="en"' in en.text and 'for="username"' in en.text


def test_a_disabled_user_cannot_sign_in_and_their_tokens_stop_at_once(client, directory, auth_headers):
    from tests.api.identity.test_authorization_code import _portal_tokens

    tokens = _portal_tokens(client, directory)
    hdr = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/oauth2/userinfo", headers=hdr).status_code == 200
    admin = auth_headers(subject="op-1", org="OPERATOR", roles=["platform_admin"], scopes=["identity:admin"])
    r = client.patch("/v1/identity/users/alice", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/oauth2/userinfo", headers=hdr).status_code == 401
    refresh = client.post("/oauth2/token", data={"grant_type": "refresh_token",
                                                 "refresh_token": tokens["refresh_token"]},
                          auth=("portal", directory.portal_secret))
    assert refresh.status_code == 400
    assert client.get("/oauth2/authorize", params=authorize_params(),
                      follow_redirects=False).headers["location"].startswith("/oauth2/login")
    assert login(client).status_code == 401


def _kid(token: str) -> str:
    import json
    from base64 import urlsafe_b64decode

    head = token.split(".")[0]
    return str(json.loads(urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def test_a_rotation_publishes_the_next_key_before_it_signs_and_old_tokens_keep_verifying(
        client, directory, auth_headers, platform):
    old = _service_token(client, directory)
    admin = auth_headers(subject="op-1", org="OPERATOR", roles=["platform_admin"], scopes=["identity:admin"])
    r = client.post("/v1/identity/keys/rotate", headers=admin)
    assert r.status_code == 201 and r.json()["state"] == "next"
    next_kid = r.json()["kid"]
    kids = {k["kid"] for k in client.get("/oauth2/jwks").json()["keys"]}
    assert next_kid in kids and len(kids) == 2
    # Published, not yet signing: relying parties' cached key sets catch up first.
    assert _kid(_service_token(client, directory)) == _kid(old) != next_kid
    now = client.post("/v1/identity/keys/rotate", params={"immediately": "true"}, headers=admin)
    assert now.status_code == 201 and now.json()["state"] == "signing"
    assert client.get("/v1/identity/users", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    assert _kid(_service_token(client, directory)) == now.json()["kid"]
    states = {k["kid"]: k["state"] for k in client.get("/v1/identity/keys", headers=admin).json()["items"]}
    assert states[now.json()["kid"]] == "signing" and "verifying" in states.values()
    assert next_kid not in states  # the waiting key never signed; the emergency rotation dropped it


def test_admin_writes_need_the_admin_scope(client, directory, auth_headers):
    reader = auth_headers(scopes=["identity:read"])
    assert client.post("/v1/identity/users", json={"username": "x", "display_name": "X"},
                       headers=reader).status_code == 403
    assert client.post("/v1/identity/keys/rotate", headers=reader).status_code == 403


def test_admin_manages_orgs_users_apps_and_roles(client, directory, auth_headers):
    admin = auth_headers(subject="op-1", org="OPERATOR", roles=["platform_admin"],
                         scopes=["identity:admin", "identity:read"])
    assert client.post("/v1/identity/organizations", headers=admin, json={
        "code": "SME-1", "name": "Pearl River Tea", "org_type": "enterprise"}).status_code == 201
    weak = client.post("/v1/identity/users", headers=admin, json={
        "username": "carol", "display_name": "Carol", "organization": "SME-1", "password": "short"})
    assert weak.status_code == 422
    user = client.post("/v1/identity/users", headers=admin, json={
        "username": "Carol", "display_name": "Carol", "organization": "SME-1",
        "password": "a long passphrase 9"})
    assert user.status_code == 201 and user.json()["username"] == "carol"
    assert client.post("/v1/identity/users", headers=admin, json={
        "username": "carol", "display_name": "Carol"}).status_code == 409
    app = client.post("/v1/identity/apps", headers=admin, json={
        "client_id": "sme-portal", "name": "SME portal", "client_type": "confidential",
        "redirect_uris": ["https://sme.example/cb"], "scopes": ["openid", "loans:apply"]})
    assert app.status_code == 201 and app.json()["client_secret"]
    bad = client.post("/v1/identity/apps", headers=admin, json={
        "client_id": "bad-app", "name": "Bad", "redirect_uris": ["http://evil.example/cb"]})
    assert bad.status_code == 422
    assert client.post("/v1/identity/apps/sme-portal/roles", headers=admin, json={
        "name": "applicant", "permissions": ["loans:apply"]}).status_code == 201
    assert client.post("/v1/identity/users/carol/roles", headers=admin, json={
        "app": "sme-portal", "role": "applicant"}).status_code == 201
    roles = client.get("/v1/identity/users/carol/roles", headers=admin).json()["items"]
    assert [r["name"] for r in roles] == ["applicant"]
    assert client.request("DELETE", "/v1/identity/users/carol/roles", headers=admin,
                          json={"app": "sme-portal", "role": "applicant"}).status_code == 204
    assert client.get("/v1/identity/users/nobody", headers=admin).status_code == 404


def test_signing_in_again_ends_the_previous_session_of_the_browser(client, directory):
    from tests.api.identity.test_authorization_code import _portal_tokens

    tokens = _portal_tokens(client, directory)
    assert login(client, username="bob").status_code == 303
    r = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 401
