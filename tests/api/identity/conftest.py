"""Fixtures for the identity API tests: a small directory of organizations, users and apps."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from bayfin.identity.core.service import SYSTEM
from bayfin.identity.core.services import IDENTITY

PASSWORD = "correct horse 42"
PORTAL_CB = "https://portal.example/cb"
CONSOLE_CB = "http://127.0.0.1:9/console/cb"


@dataclass
class Directory:
    """What the ``directory`` fixture created."""

    bank_id: str
    alice_id: str
    bob_id: str
    portal_secret: str
    service_secret: str


@pytest.fixture
def ident(platform):
    return platform.service(IDENTITY)


@pytest.fixture
def directory(platform, ident) -> Directory:
    svc = ident.service
    with platform.unit_of_work() as uow:
        s = uow.session
        svc.create_org(s, SYSTEM, code="OPERATOR", name="Platform operator", org_type="operator")
        bank = svc.create_org(s, SYSTEM, code="BANK-A", name="Bank A", org_type="institution")
        svc.create_org(s, SYSTEM, code="BANK-A-GZ", name="Bank A Guangzhou", org_type="institution",
                       parent="BANK-A")
        alice = svc.create_user(s, SYSTEM, username="alice", display_name="Alice",
                                organization="BANK-A", email="alice@bank-a.example", password=PASSWORD)
        bob = svc.create_user(s, SYSTEM, username="bob", display_name="Bob", organization="BANK-A",
                              password=PASSWORD)
        _, portal_secret = svc.create_app(
            s, SYSTEM, client_id="portal", name="Credit portal", client_type="confidential",
            redirect_uris=[PORTAL_CB], post_logout_redirect_uris=["https://portal.example/bye"],
            grant_types=["authorization_code", "refresh_token"],
            scopes=["openid", "profile", "email", "offline_access", "reports:read", "loans:write"])
        svc.create_app(s, SYSTEM, client_id="console", name="Console", client_type="public",
                       redirect_uris=[CONSOLE_CB], grant_types=["authorization_code", "refresh_token"],
                       scopes=["openid", "profile", "reports:read"], first_party=True)
        _, service_secret = svc.create_app(
            s, SYSTEM, client_id="bank-a-core", name="Bank A core system",
            client_type="confidential", grant_types=["client_credentials"],
            scopes=["creditdata:query", "identity:read"], service_roles=["institution_system"],
            organization="BANK-A")
        svc.create_role(s, SYSTEM, app="portal", name="analyst", permissions=["reports:read"])
        svc.create_role(s, SYSTEM, app="console", name="viewer", permissions=["reports:read"])
        svc.assign_role(s, SYSTEM, alice, app="portal", role="analyst")
        svc.assign_role(s, SYSTEM, alice, app="console", role="viewer")
        uow.commit()
    assert portal_secret and service_secret
    return Directory(bank.id, alice.id, bob.id, portal_secret, service_secret)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, username="alice", password=PASSWORD, next_url="/oauth2/welcome"):
    page = client.get("/oauth2/login", params={"next": next_url})
    return client.post("/oauth2/login", data={"csrf_token": csrf_of(page.text), "username": username,
                                              "password": password, "next": next_url},
                       follow_redirects=False)


def authorize_params(client_id="portal", redirect_uri=PORTAL_CB, scope="openid profile reports:read",
                     challenge=None, **extra):
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
              "scope": scope, "state": "st-1", "nonce": "n-1"}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def code_from(response) -> str:
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert "code" in query, response.headers["location"]
    assert query["state"] == ["st-1"]
    return query["code"][0]


def authorize_with_consent(client, params) -> str:
    r = client.get("/oauth2/authorize", params=params, follow_redirects=False)
    if r.status_code == 200:  # consent page
        r = client.post("/oauth2/authorize?" + urlencode(params),
                        data={"csrf_token": csrf_of(r.text), "decision": "allow"},
                        follow_redirects=False)
    return code_from(r)
