"""End to end against a real uvicorn server: a standard OIDC client library (Authlib's httpx
client) drives authorization code + PKCE through a plain HTTP session acting as the browser, calls a
bayfin API with the token, then a second app signs in through SSO with no password asked."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from bayfin import migrations
from bayfin.api.app import create_app
from bayfin.bootstrap import build_platform
from bayfin.identity import IDENTITY, SYSTEM
from bayfin.kernel.db import make_engine
from bayfin.kernel.settings import Settings

PASSWORD = "correct horse 42"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = Settings(environment="test", data_dir=tmp_path, database_url=url, issuer=base,
                        audit_key="e2e-audit-key-0123456789abcdef0123456789", log_level="WARNING")
    platform = build_platform(settings)
    svc = platform.service(IDENTITY).service
    with platform.unit_of_work() as uow:
        s = uow.session
        svc.create_org(s, SYSTEM, code="BANK-A", name="Bank A", org_type="institution")
        alice = svc.create_user(s, SYSTEM, username="alice", display_name="Alice",
                                organization="BANK-A", password=PASSWORD)
        _, secret = svc.create_app(s, SYSTEM, client_id="portal", name="Credit portal",
                                   client_type="confidential", redirect_uris=[f"{base}/portal/cb"],
                                   post_logout_redirect_uris=[f"{base}/portal/bye"],
                                   scopes=["openid", "profile", "identity:read"])
        svc.create_app(s, SYSTEM, client_id="console", name="Risk console", client_type="public",
                       redirect_uris=[f"{base}/console/cb"], scopes=["openid", "profile"],
                       first_party=True)
        svc.create_role(s, SYSTEM, app="portal", name="directory-reader", permissions=["identity:read"])
        svc.assign_role(s, SYSTEM, alice, app="portal", role="directory-reader")
        uow.commit()
    config = uvicorn.Config(create_app(platform=platform), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False, lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield {"base": base, "portal_secret": secret}
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        platform.dispose()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_standard_oidc_client_signs_in_calls_an_api_and_a_second_app_uses_sso(server):
    base = server["base"]
    meta = httpx.get(f"{base}/.well-known/openid-configuration").json()
    browser = httpx.Client(base_url=base, follow_redirects=False)

    portal = OAuth2Client(client_id="portal", client_secret=server["portal_secret"],
                          scope="openid profile identity:read", redirect_uri=f"{base}/portal/cb",
                          code_challenge_method="S256")
    verifier = "v" * 20 + "-portal-verifier-0123456789abcdef"
    auth_url, state = portal.create_authorization_url(meta["authorization_endpoint"],
                                                      code_verifier=verifier, nonce="n-portal")
    r = browser.get(auth_url)
    assert r.status_code == 303 and r.headers["location"].startswith("/oauth2/login")
    login_page = browser.get(r.headers["location"])
    next_url = re.search(r'name="next" value="([^"]+)"', login_page.text).group(1).replace("&amp;", "&")
    r = browser.post("/oauth2/login", data={"csrf_token": _csrf(login_page.text), "username": "alice",
                                            "password": PASSWORD, "next": next_url})
    assert r.status_code == 303
    consent = browser.get(r.headers["location"])
    assert consent.status_code == 200 and "Credit portal" in consent.text
    action = re.search(r'<form method="post" action="([^"]+)"', consent.text).group(1).replace("&amp;", "&")
    r = browser.post(action, data={"csrf_token": _csrf(consent.text), "decision": "allow"})
    assert r.status_code == 302
    callback = r.headers["location"]
    assert callback.startswith(f"{base}/portal/cb?")

    token = portal.fetch_token(meta["token_endpoint"], authorization_response=callback,
                               code_verifier=verifier, state=state)
    keys = KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())
    id_claims = jwt.decode(token["id_token"], keys).claims
    assert id_claims["iss"] == base and id_claims["aud"] == ["portal"]
    assert id_claims["nonce"] == "n-portal" and id_claims["preferred_username"] == "alice"

    api = httpx.get(f"{base}/v1/identity/users/alice",
                    headers={"Authorization": f"Bearer {token['access_token']}"})
    assert api.status_code == 200 and api.json()["username"] == "alice"
    assert httpx.get(f"{base}/v1/identity/users/alice").status_code == 401

    console = OAuth2Client(client_id="console", scope="openid profile",
                           redirect_uri=f"{base}/console/cb", code_challenge_method="S256",
                           token_endpoint_auth_method="none")
    verifier2 = "w" * 20 + "-console-verifier-0123456789abcdef"
    auth_url2, state2 = console.create_authorization_url(meta["authorization_endpoint"],
                                                         code_verifier=verifier2)
    r = browser.get(auth_url2)
    assert r.status_code == 302, "SSO must answer with a code, not a login page"
    assert r.headers["location"].startswith(f"{base}/console/cb?")
    token2 = console.fetch_token(meta["token_endpoint"], authorization_response=r.headers["location"],
                                 code_verifier=verifier2, state=state2)
    info = httpx.get(meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {token2['access_token']}"})
    assert info.json()["preferred_username"] == "alice"

    r = browser.get(meta["end_session_endpoint"], params={
        "id_token_hint": token["id_token"], "post_logout_redirect_uri": f"{base}/portal/bye"})
    assert r.status_code == 303 and r.headers["location"] == f"{base}/portal/bye"
    for access in (token["access_token"], token2["access_token"]):
        assert httpx.get(meta["userinfo_endpoint"],
                         headers={"Authorization": f"Bearer {access}"}).status_code == 401
