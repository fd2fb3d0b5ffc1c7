"""OpenID Connect as the standard says: max_age and prompt=login force a new sign-in (OIDC Core
3.1.2.1), auth_time and amr travel in ID and access tokens, access tokens are RFC 9068 JWTs, and
enrolling a second factor needs its own scope and a fresh sign-in."""

from __future__ import annotations

import time
from base64 import urlsafe_b64decode
from datetime import timedelta

import pyotp
from joserfc import jwt

from bayfin.identity.core.models import SsoSession
from bayfin.identity.core.service import SYSTEM
from bayfin.kernel.security import Principal
from tests.api.identity.conftest import (
    CONSOLE_CB,
    authorize_params,
    code_from,
    csrf_of,
    login,
    pkce_pair,
)


def _console_authorize(client, scope="openid profile", **extra):
    verifier, challenge = pkce_pair()
    params = authorize_params(client_id="console", redirect_uri=CONSOLE_CB, challenge=challenge,
                              scope=scope, **extra)
    return verifier, client.get("/oauth2/authorize", params=params, follow_redirects=False)


def _console_tokens(client, verifier, response):
    r = client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code_from(response), "redirect_uri": CONSOLE_CB,
        "client_id": "console", "code_verifier": verifier})
    assert r.status_code == 200, r.text
    return r.json()


def _claims(platform, token):
    return jwt.decode(token, platform.tokens.keys.key_set()).claims


def _header(token):
    head = token.split(".")[0]
    import json

    return json.loads(urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def _age_session(platform, seconds):
    """Pretend every SSO session signed in ``seconds`` ago."""
    with platform.unit_of_work() as uow:
        for sso in uow.session.query(SsoSession).all():
            sso.auth_time = sso.auth_time - timedelta(seconds=seconds)
        uow.commit()


def test_tokens_carry_auth_time_amr_audience_and_the_at_jwt_type(client, directory, platform):
    login(client)
    verifier, r = _console_authorize(client)
    tokens = _console_tokens(client, verifier, r)
    id_claims = _claims(platform, tokens["id_token"])
    access = _claims(platform, tokens["access_token"])
    assert abs(id_claims["auth_time"] - time.time()) < 60
    assert id_claims["amr"] == ["pwd"] and access["amr"] == ["pwd"]
    assert access["auth_time"] == id_claims["auth_time"]
    assert access["aud"] == platform.tokens.audience != id_claims["aud"]
    assert _header(tokens["access_token"])["typ"] == "at+jwt"
    assert _header(tokens["id_token"]).get("typ") != "at+jwt"
    assert "amr" in client.get("/.well-known/openid-configuration").json()["claims_supported"]


def test_a_sign_in_older_than_max_age_sends_the_browser_to_sign_in_again(client, directory, platform):
    login(client)
    _age_session(platform, 600)
    _verifier, r = _console_authorize(client, max_age="300")
    assert r.status_code == 303 and r.headers["location"].startswith("/oauth2/login")
    assert "max_age" not in r.headers["location"]  # the fresh sign-in answers it; no loop
    verifier, r = _console_authorize(client, max_age="3600")
    assert r.status_code in (302, 303) and "code=" in r.headers["location"]
    aged = _claims(platform, _console_tokens(client, verifier, r)["id_token"])["auth_time"]
    assert time.time() - aged >= 600
    # Signing in again gives a fresh auth_time, which then satisfies max_age.
    assert login(client).status_code == 303
    verifier, r = _console_authorize(client, max_age="300")
    fresh = _claims(platform, _console_tokens(client, verifier, r)["id_token"])["auth_time"]
    assert time.time() - fresh < 300
    _v, bad = _console_authorize(client, max_age="soon")
    assert bad.status_code == 400


def test_max_age_with_prompt_none_answers_login_required(client, directory, platform):
    login(client)
    _age_session(platform, 600)
    _verifier, r = _console_authorize(client, max_age="60", prompt="none")
    assert r.status_code in (302, 303) and "error=login_required" in r.headers["location"]


def test_prompt_login_forces_a_new_sign_in_even_with_a_live_session(client, directory, platform):
    login(client)
    _verifier, r = _console_authorize(client, prompt="login")
    assert r.status_code == 303 and r.headers["location"].startswith("/oauth2/login")
    assert "prompt" not in r.headers["location"]
    _verifier, r = _console_authorize(client, prompt="login consent")
    assert "prompt%3Dconsent" in r.headers["location"]  # only the login part is answered


def test_amr_records_the_second_factor(client, directory, platform, ident):
    with platform.unit_of_work() as uow:
        user = ident.service.get_user(uow.session, "alice", SYSTEM.scope)
        secret = ident.authenticator.enrol(uow.session, user, "totp")["secret"]
        ident.authenticator.confirm(uow.session, user, "totp",
                                    pyotp.TOTP(secret).at(time.time() - 30))
        uow.commit()
    assert login(client).headers["location"].startswith("/oauth2/mfa")
    page = client.get("/oauth2/mfa", params={"next": "/oauth2/welcome"})
    client.post("/oauth2/mfa", data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now(),
                                     "factor": "totp", "next": "/oauth2/welcome"})
    verifier, r = _console_authorize(client)
    tokens = _console_tokens(client, verifier, r)
    assert _claims(platform, tokens["id_token"])["amr"] == ["otp", "pwd"]
    assert platform.token_verifier.verify(tokens["access_token"]).amr == ("otp", "pwd")


def test_a_refresh_keeps_the_original_auth_time(client, directory, platform):
    login(client)
    _age_session(platform, 900)
    verifier, r = _console_authorize(client, scope="openid profile offline_access")
    tokens = _console_tokens(client, verifier, r)
    refreshed = client.post("/oauth2/token", data={"grant_type": "refresh_token", "client_id": "console",
                                                   "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    first = platform.token_verifier.verify(tokens["access_token"])
    second = platform.token_verifier.verify(refreshed.json()["access_token"])
    assert second.auth_time == first.auth_time and time.time() - second.auth_time >= 900
    assert second.amr == ("pwd",)


def test_enrolling_a_factor_needs_its_scope_and_a_fresh_sign_in(client, directory, platform):
    def bearer(scopes, auth_age):
        token = platform.tokens.issue(Principal(
            subject=directory.alice_id, scopes=frozenset(scopes),
            auth_time=None if auth_age is None else int(time.time()) - auth_age))
        return {"Authorization": f"Bearer {token}"}

    profile_only = bearer({"openid", "profile"}, 0)
    for path, body in (("/v1/identity/me/factors/totp", None),
                       ("/v1/identity/me/factors/totp/confirm", {"code": "123456"})):
        r = client.post(path, json=body, headers=profile_only)
        assert r.status_code == 403 and r.json()["required_scopes"] == ["identity:factors"]
        for stale in (bearer({"identity:factors"}, 3600), bearer({"identity:factors"}, None)):
            r = client.post(path, json=body, headers=stale)
            assert r.status_code == 401
            assert r.json()["error"] == "insufficient_user_authentication" and r.json()["max_age"] == 300
            assert 'error="insufficient_user_authentication", max_age=300' in r.headers["www-authenticate"]
    assert client.post("/v1/identity/me/factors/totp",
                       headers=bearer({"identity:factors"}, 10)).status_code == 201


def test_an_app_gets_the_factor_scope_only_when_registered_for_it(client, directory, platform, ident):
    """No role is needed for the self-service scope, but the app must be registered for it."""
    login(client)
    verifier, r = _console_authorize(client, scope="openid profile identity:factors")
    tokens = _console_tokens(client, verifier, r)
    assert "identity:factors" not in platform.token_verifier.verify(tokens["access_token"]).scopes
    with platform.unit_of_work() as uow:
        ident.apps.update(uow.session, SYSTEM, ident.service.get_app(uow.session, "console", SYSTEM.scope),
                          scopes=["openid", "profile", "identity:factors"])
        uow.commit()
    verifier, r = _console_authorize(client, scope="openid identity:factors")
    granted = platform.token_verifier.verify(_console_tokens(client, verifier, r)["access_token"])
    assert "identity:factors" in granted.scopes
    assert client.post("/v1/identity/me/factors/totp",
                       headers={"Authorization": "Bearer " + platform.tokens.issue(granted)}
                       ).status_code == 201
