"""An attacker holding tokens the platform signed, but not access tokens for this API: an ID token
handed to a third-party app, a token minted for another resource server, a token typed JWT, and a
token of an app disabled since. Each must answer 401 on a credit report and on the factor routes,
while the same caller with a proper access token gets past authentication (so the test can fail)."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from bayfin.identity.core.service import SYSTEM
from bayfin.kernel.security import Principal
from tests.api.identity.conftest import authorize_params, authorize_with_consent, login, pkce_pair

APP_CB = "https://third-party.example/cb"
REPORT = "/v1/credit-reports/91440101MA5CXXXX0X"


def _routes(client, headers) -> dict[str, int]:
    """Status of each protected route the attacks aim at."""
    return {
        "report": client.get(REPORT, params={"consent_id": "cns-unknown"}, headers=headers).status_code,
        "enrol": client.post("/v1/identity/me/factors/totp", headers=headers).status_code,
        "confirm": client.post("/v1/identity/me/factors/totp/confirm", json={"code": "123456"},
                               headers=headers).status_code,
    }


def _sign(header: dict, claims: dict, key) -> str:
    """RS256 by hand, so the header is exactly what the test says (no library default typ)."""
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    signature = key.private_key.sign(signing_input.encode(), PKCS1v15(), SHA256())
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def third_party(platform, ident, directory) -> str:
    """A confidential app Alice signs in to, allowed credit reads and factor enrolment; its secret."""
    with platform.unit_of_work() as uow:
        s = uow.session
        _, secret = ident.service.create_app(
            s, SYSTEM, client_id="third-party", name="Third-party app", client_type="confidential",
            redirect_uris=[APP_CB], grant_types=["authorization_code", "refresh_token"],
            scopes=["openid", "profile", "offline_access", "credit:read", "identity:factors"])
        ident.service.create_role(s, SYSTEM, app="third-party", name="reader",
                                  permissions=["credit:read"])
        alice = ident.service.get_user(s, "alice", SYSTEM.scope)
        ident.service.assign_role(s, SYSTEM, alice, app="third-party", role="reader")
        uow.commit()
    assert secret
    return secret


def _sign_in(client, secret, scope="openid profile offline_access credit:read identity:factors"):
    verifier, challenge = pkce_pair()
    assert login(client).status_code == 303
    code = authorize_with_consent(client, authorize_params(
        client_id="third-party", redirect_uri=APP_CB, scope=scope, challenge=challenge))
    r = client.post("/oauth2/token", auth=("third-party", secret), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": APP_CB,
        "code_verifier": verifier})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_proper_access_token_gets_past_authentication_on_every_attacked_route(client, third_party):
    tokens = _sign_in(client, third_party)
    seen = _routes(client, _bearer(tokens["access_token"]))
    # No consent for this enterprise (404), a factor enrolled (201), a wrong first code (422).
    assert seen == {"report": 404, "enrol": 201, "confirm": 422}


def test_an_id_token_is_no_bearer_token(client, third_party):
    id_token = _sign_in(client, third_party)["id_token"]
    assert _routes(client, _bearer(id_token)) == {"report": 401, "enrol": 401, "confirm": 401}
    r = client.get("/oauth2/userinfo", headers=_bearer(id_token))
    assert r.status_code == 401 and "access token" in r.json()["detail"]


def test_a_token_for_another_resource_server_is_refused(client, platform, directory):
    who = Principal(subject=directory.alice_id, organization_id="BANK-A",
                    organization_type="institution", scopes=frozenset({"credit:read", "identity:factors"}),
                    auth_time=int(time.time()))
    foreign = platform.tokens.issue(who, audience="https://payments.other-rs.example")
    assert _routes(client, _bearer(foreign)) == {"report": 401, "enrol": 401, "confirm": 401}
    assert _routes(client, _bearer(platform.tokens.issue(who)))["report"] == 404


@pytest.mark.parametrize("typ", ["JWT", None, "id+jwt"])
def test_a_signed_token_not_typed_at_jwt_is_refused(client, platform, directory, typ):
    good = platform.tokens.issue(Principal(
        subject=directory.alice_id, organization_id="BANK-A", organization_type="institution",
        scopes=frozenset({"credit:read", "identity:factors"}), auth_time=int(time.time())))
    claims = platform.tokens.access_claims(good)
    key = platform.tokens.keys.signing_key()
    header = {"alg": "RS256", "kid": key.kid} | ({"typ": typ} if typ else {})
    forged = _sign(header, claims, key)
    assert _routes(client, _bearer(forged)) == {"report": 401, "enrol": 401, "confirm": 401}
    typed = _sign({"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}, claims, key)
    assert _routes(client, _bearer(typed))["report"] == 404  # the hand signing itself is sound


def test_a_disabled_apps_tokens_stop_at_once_and_stay_refused_after_it_is_enabled(
        client, third_party, auth_headers):
    tokens = _sign_in(client, third_party)
    bearer = _bearer(tokens["access_token"])
    assert _routes(client, bearer)["report"] == 404
    admin = auth_headers(subject="op-1", org="OPERATOR", roles=["platform_admin"], scopes=["identity:admin"])
    r = client.patch("/v1/identity/apps/third-party", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert _routes(client, bearer) == {"report": 401, "enrol": 401, "confirm": 401}
    refreshed = client.post("/oauth2/token", auth=("third-party", third_party), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code in (400, 401)
    assert client.patch("/v1/identity/apps/third-party", json={"active": True},
                        headers=admin).status_code == 200
    assert _routes(client, bearer)["report"] == 401
    refreshed = client.post("/oauth2/token", auth=("third-party", third_party), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400  # revoked with the disabling, not brought back
    time.sleep(1.01)  # a token issued after the cut-off second is the app's again
    fresh = _sign_in(client, third_party)
    assert _routes(client, _bearer(fresh["access_token"]))["report"] == 404


def test_a_code_issued_before_the_app_was_disabled_is_void_after_it_is_enabled(
        client, third_party, auth_headers):
    verifier, challenge = pkce_pair()
    assert login(client).status_code == 303
    code = authorize_with_consent(client, authorize_params(
        client_id="third-party", redirect_uri=APP_CB, scope="openid credit:read", challenge=challenge))
    admin = auth_headers(subject="op-1", org="OPERATOR", roles=["platform_admin"], scopes=["identity:admin"])
    for active in (False, True):
        assert client.patch("/v1/identity/apps/third-party", json={"active": active},
                            headers=admin).status_code == 200
    r = client.post("/oauth2/token", auth=("third-party", third_party), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": APP_CB,
        "code_verifier": verifier})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_a_disabled_client_credentials_app_is_refused_too(client, directory, auth_headers):
    r = client.post("/oauth2/token", auth=("bank-a-core", directory.service_secret),
                    data={"grant_type": "client_credentials", "scope": "identity:read"})
    service = _bearer(r.json()["access_token"])
    assert client.get("/v1/identity/users", headers=service).status_code == 200
    admin = auth_headers(subject="op-1", org="OPERATOR", roles=["platform_admin"], scopes=["identity:admin"])
    assert client.patch("/v1/identity/apps/bank-a-core", json={"active": False},
                        headers=admin).status_code == 200
    assert client.get("/v1/identity/users", headers=service).status_code == 401
    again = client.post("/oauth2/token", auth=("bank-a-core", directory.service_secret),
                        data={"grant_type": "client_credentials"})
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"


def test_an_access_token_is_no_logout_hint(client, third_party):
    tokens = _sign_in(client, third_party)
    client.cookies.clear()  # another browser, holding only Alice's access token
    r = client.get("/oauth2/logout", params={"id_token_hint": tokens["access_token"]},
                   follow_redirects=False)
    assert r.status_code == 200 and 'action="/oauth2/logout"' in r.text  # asks; ends nothing
    assert _routes(client, _bearer(tokens["access_token"]))["report"] == 404
