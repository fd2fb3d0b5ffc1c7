"""TOTP enrolment, second factor at sign-in, step-up on acr_values=mfa, and replay refusal."""

from __future__ import annotations

import pyotp

from tests.api.identity.conftest import authorize_params, authorize_with_consent, csrf_of, login, pkce_pair


def _bearer(platform, directory, acr=None):
    import time

    from bayfin.kernel.security import Principal

    token = platform.tokens.issue(Principal(subject=directory.alice_id, acr=acr,
                                            scopes=frozenset({"identity:factors"}),
                                            auth_time=int(time.time())))
    return {"Authorization": f"Bearer {token}"}


def _enrol(client, platform, directory) -> pyotp.TOTP:
    r = client.post("/v1/identity/me/factors/totp", headers=_bearer(platform, directory))
    assert r.status_code == 201, r.text
    assert r.json()["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(r.json()["secret"])
    bad = client.post("/v1/identity/me/factors/totp/confirm", json={"code": "000000"},
                      headers=_bearer(platform, directory))
    assert bad.status_code == 422
    # Confirm with the previous window's code so the current one is still unused for sign-in.
    ok = client.post("/v1/identity/me/factors/totp/confirm", json={"code": _previous_code(totp)},
                     headers=_bearer(platform, directory))
    assert ok.status_code == 204
    return totp


def _previous_code(totp: pyotp.TOTP) -> str:
    import time

    return totp.at(time.time() - totp.interval)


def test_step_up_asks_for_the_second_factor_and_raises_the_token_acr(client, directory, platform):
    totp = _enrol(client, platform, directory)
    assert login(client).headers["location"].startswith("/oauth2/mfa")
    # Still pending: the authorization endpoint sends the browser back to sign in.
    params = authorize_params(acr_values="mfa", challenge=pkce_pair()[1])
    r = client.get("/oauth2/authorize", params=params, follow_redirects=False)
    assert r.headers["location"].startswith("/oauth2/login")
    page = client.get("/oauth2/mfa", params={"next": "/oauth2/welcome"})
    wrong = client.post("/oauth2/mfa", data={"csrf_token": csrf_of(page.text), "code": "123456",
                                              "factor": "totp", "next": "/oauth2/welcome"},
                        follow_redirects=False)
    assert wrong.status_code == 401
    ok = client.post("/oauth2/mfa", data={"csrf_token": csrf_of(page.text), "code": totp.now(),
                                           "factor": "totp", "next": "/oauth2/welcome"},
                     follow_redirects=False)
    assert ok.status_code == 303
    verifier, challenge = pkce_pair()
    code = authorize_with_consent(client, authorize_params(acr_values="mfa", challenge=challenge))
    tokens = client.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": authorize_params()["redirect_uri"],
                                                "code_verifier": verifier},
                         auth=("portal", directory.portal_secret)).json()
    assert platform.token_verifier.verify(tokens["access_token"]).acr == "mfa"


def test_a_password_only_session_is_stepped_up_when_an_app_asks_for_mfa(client, directory, platform):
    login(client)
    params = authorize_params(acr_values="mfa", challenge=pkce_pair()[1])
    r = client.get("/oauth2/authorize", params=params, follow_redirects=False)
    assert r.headers["location"].startswith("/oauth2/mfa")
    # Alice has no factor enrolled yet, so the page says so rather than asking for a code.
    assert client.get(r.headers["location"]).status_code == 403
    without = client.get("/oauth2/authorize", params=authorize_params(challenge=pkce_pair()[1]),
                         follow_redirects=False)
    assert without.status_code == 200  # consent page: password suffices without acr_values


def test_a_totp_code_cannot_be_used_twice(client, directory, platform):
    totp = _enrol(client, platform, directory)
    code = totp.now()
    for expected in (303, 401):
        login(client)
        page = client.get("/oauth2/mfa", params={"next": "/oauth2/welcome"})
        r = client.post("/oauth2/mfa", data={"csrf_token": csrf_of(page.text), "code": code,
                                              "factor": "totp", "next": "/oauth2/welcome"},
                        follow_redirects=False)
        assert r.status_code == expected
