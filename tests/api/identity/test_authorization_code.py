"""Authorization code with PKCE, consent, SSO, refresh rotation, revocation, introspection, logout."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from tests.api.identity.conftest import (
    CONSOLE_CB,
    PORTAL_CB,
    authorize_params,
    authorize_with_consent,
    code_from,
    csrf_of,
    login,
    pkce_pair,
)


def _exchange(client, code, secret, verifier=None, client_id="portal", redirect_uri=PORTAL_CB):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    if secret:
        return client.post("/oauth2/token", data=data, auth=(client_id, secret))
    data["client_id"] = client_id
    return client.post("/oauth2/token", data=data)


def _portal_tokens(client, directory, scope="openid profile reports:read offline_access"):
    verifier, challenge = pkce_pair()
    assert login(client).status_code == 303
    code = authorize_with_consent(client, authorize_params(scope=scope, challenge=challenge))
    r = _exchange(client, code, directory.portal_secret, verifier)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_unsigned_in_browser_is_sent_to_the_login_page(client, directory):
    r = client.get("/oauth2/authorize", params=authorize_params(), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/oauth2/login?next=")


def test_code_flow_with_pkce_issues_access_refresh_and_id_tokens(client, directory, platform):
    tokens = _portal_tokens(client, directory)
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens)
    principal = platform.token_verifier.verify(tokens["access_token"])
    assert principal.subject == directory.alice_id
    assert principal.organization_id == "BANK-A"  # the organization code, not its row id
    assert principal.organization_type == "institution"
    assert principal.roles == {"analyst"}
    assert principal.scopes == {"openid", "profile", "reports:read", "offline_access"}
    assert principal.acr == "pwd"


def test_a_scope_no_role_permits_is_left_out_of_the_token(client, directory, platform):
    tokens = _portal_tokens(client, directory, scope="openid loans:write")
    assert "loans:write" not in platform.token_verifier.verify(tokens["access_token"]).scopes


def test_a_redirect_uri_that_is_not_an_exact_match_is_refused_without_redirecting(client, directory):
    login(client)
    for uri in (PORTAL_CB + "/", PORTAL_CB + "?x=1", "https://evil.example/cb"):
        r = client.get("/oauth2/authorize", params=authorize_params(redirect_uri=uri),
                       follow_redirects=False)
        assert r.status_code == 400 and "location" not in r.headers


def test_a_public_client_without_pkce_is_refused(client, directory):
    login(client)
    r = client.get("/oauth2/authorize", params=authorize_params(
        client_id="console", redirect_uri=CONSOLE_CB, scope="openid"), follow_redirects=False)
    assert r.status_code == 302
    assert parse_qs(urlparse(r.headers["location"]).query)["error"] == ["invalid_request"]


def test_a_public_client_must_present_the_code_verifier(client, directory):
    _verifier, challenge = pkce_pair()
    login(client)
    params = authorize_params(client_id="console", redirect_uri=CONSOLE_CB, scope="openid",
                              challenge=challenge)
    code = code_from(client.get("/oauth2/authorize", params=params, follow_redirects=False))
    missing = _exchange(client, code, None, None, client_id="console", redirect_uri=CONSOLE_CB)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = _exchange(client, code, None, pkce_pair()[0], client_id="console", redirect_uri=CONSOLE_CB)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_a_code_works_once_and_its_replay_revokes_what_it_issued(client, directory):
    verifier, challenge = pkce_pair()
    login(client)
    code = authorize_with_consent(client, authorize_params(challenge=challenge,
                                                           scope="openid reports:read offline_access"))
    first = _exchange(client, code, directory.portal_secret, verifier)
    assert first.status_code == 200
    again = _exchange(client, code, directory.portal_secret, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    hdr = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert client.get("/oauth2/userinfo", headers=hdr).status_code == 401
    refresh = client.post("/oauth2/token", data={"grant_type": "refresh_token",
                                                 "refresh_token": first.json()["refresh_token"]},
                          auth=("portal", directory.portal_secret))
    assert refresh.status_code == 400


def test_the_consent_form_refuses_a_post_without_the_csrf_token(client, directory):
    login(client)
    params = authorize_params()
    page = client.get("/oauth2/authorize", params=params)
    assert page.status_code == 200 and "Credit portal" in page.text
    from urllib.parse import urlencode

    r = client.post("/oauth2/authorize?" + urlencode(params), data={"decision": "allow"},
                    follow_redirects=False)
    assert r.status_code == 403


def test_denying_consent_returns_access_denied_to_the_app(client, directory):
    from urllib.parse import urlencode

    login(client)
    params = authorize_params()
    page = client.get("/oauth2/authorize", params=params)
    r = client.post("/oauth2/authorize?" + urlencode(params),
                    data={"csrf_token": csrf_of(page.text), "decision": "deny"}, follow_redirects=False)
    assert parse_qs(urlparse(r.headers["location"]).query)["error"] == ["access_denied"]


def test_a_second_app_signs_in_through_sso_without_a_password(client, directory, platform):
    _portal_tokens(client, directory)
    verifier, challenge = pkce_pair()
    r = client.get("/oauth2/authorize", params=authorize_params(
        client_id="console", redirect_uri=CONSOLE_CB, scope="openid reports:read",
        challenge=challenge), follow_redirects=False)
    code = code_from(r)  # straight back with a code: no login page, no consent (first-party app)
    tokens = _exchange(client, code, None, verifier, client_id="console", redirect_uri=CONSOLE_CB).json()
    assert platform.token_verifier.verify(tokens["access_token"]).roles == {"viewer"}


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_family(client, directory, platform):
    tokens = _portal_tokens(client, directory)
    first = tokens["refresh_token"]
    r = client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": first},
                    auth=("portal", directory.portal_secret))
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first
    assert platform.token_verifier.verify(second["access_token"]).subject == directory.alice_id
    reuse = client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": first},
                        auth=("portal", directory.portal_secret))
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    after = client.post("/oauth2/token", data={"grant_type": "refresh_token",
                                               "refresh_token": second["refresh_token"]},
                        auth=("portal", directory.portal_secret))
    assert after.status_code == 400
    hdr = {"Authorization": f"Bearer {second['access_token']}"}
    assert client.get("/oauth2/userinfo", headers=hdr).status_code == 401


def test_revocation_and_introspection(client, directory):
    tokens = _portal_tokens(client, directory)
    auth = ("portal", directory.portal_secret)
    live = client.post("/oauth2/introspect", data={"token": tokens["access_token"]}, auth=auth).json()
    assert live["active"] is True and live["sub"] == directory.alice_id
    assert client.post("/oauth2/revoke", data={"token": tokens["access_token"]}, auth=auth).status_code == 200
    dead = client.post("/oauth2/introspect", data={"token": tokens["access_token"]}, auth=auth).json()
    assert dead == {"active": False}
    hdr = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/oauth2/userinfo", headers=hdr).status_code == 401


def test_userinfo_answers_with_the_profile(client, directory):
    tokens = _portal_tokens(client, directory)
    info = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.json()["preferred_username"] == "alice"


def test_logout_ends_the_sso_session_in_every_app(client, directory):
    portal = _portal_tokens(client, directory)
    verifier, challenge = pkce_pair()
    code = code_from(client.get("/oauth2/authorize", params=authorize_params(
        client_id="console", redirect_uri=CONSOLE_CB, scope="openid reports:read",
        challenge=challenge), follow_redirects=False))
    console = _exchange(client, code, None, verifier, client_id="console", redirect_uri=CONSOLE_CB).json()
    r = client.get("/oauth2/logout", params={"id_token_hint": portal["id_token"],
                                             "post_logout_redirect_uri": "https://portal.example/bye",
                                             "state": "s9"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "https://portal.example/bye?state=s9"
    for tokens in (portal, console):
        hdr = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert client.get("/oauth2/userinfo", headers=hdr).status_code == 401
    refresh = client.post("/oauth2/token", data={"grant_type": "refresh_token",
                                                 "refresh_token": portal["refresh_token"]},
                          auth=("portal", directory.portal_secret))
    assert refresh.status_code == 400
    again = client.get("/oauth2/authorize", params=authorize_params(), follow_redirects=False)
    assert again.headers["location"].startswith("/oauth2/login")


def test_logout_without_an_id_token_hint_asks_for_confirmation(client, directory):
    login(client)
    r = client.get("/oauth2/logout")
    assert r.status_code == 200 and 'action="/oauth2/logout"' in r.text
    done = client.post("/oauth2/logout", data={"csrf_token": csrf_of(r.text)}, follow_redirects=False)
    assert done.status_code == 200
    assert client.get("/oauth2/authorize", params=authorize_params(),
                      follow_redirects=False).headers["location"].startswith("/oauth2/login")


def test_discovery_and_jwks_describe_the_provider(client, directory):
    meta = client.get("/.well-known/openid-configuration").json()
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["end_session_endpoint"].endswith("/oauth2/logout")
    keys = client.get("/oauth2/jwks").json()["keys"]
    assert keys and all("d" not in k for k in keys)


def test_prompt_none_without_a_session_answers_login_required_to_the_app(client, directory):
    r = client.get("/oauth2/authorize", params=authorize_params(prompt="none"), follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith(PORTAL_CB)
    assert parse_qs(urlparse(r.headers["location"]).query)["error"] == ["login_required"]


def test_prompt_login_asks_for_the_password_again_despite_sso(client, directory):
    login(client)
    r = client.get("/oauth2/authorize", params=authorize_params(prompt="login"), follow_redirects=False)
    assert r.headers["location"].startswith("/oauth2/login")
    assert "prompt" not in r.headers["location"]
