"""A provisioned user signs in: the administrator issues a one-time set-password link; the link
expires, works once, is voided by a newer one, and each step is audited."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from bayfin.identity.core.models import Invitation
from bayfin.kernel.audit import AuditEntry
from tests.api.identity.conftest import csrf_of, login

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
NEW_PASSWORD = "a brand new passphrase 7"


@pytest.fixture
def admin_a(auth_headers):
    return auth_headers(subject="iam-a", org="BANK-A", org_type="institution",
                        scopes=["identity:admin", "identity:read"])


def _provision(client, auth_headers, name="nina") -> str:
    scim = auth_headers(subject="hr-a", org="BANK-A", org_type="institution", scopes=["scim"])
    r = client.post("/scim/v2/Users", headers=scim, json={"schemas": [USER], "userName": name,
                                                          "name": {"givenName": "Nina"}})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _invite(client, admin, ref="nina") -> str:
    r = client.post(f"/v1/identity/users/{ref}/invitation", headers=admin)
    assert r.status_code == 201, r.text
    return parse_qs(urlparse(r.json()["url"]).query)["token"][0]


def _choose(client, token, password=NEW_PASSWORD, repeat=None):
    page = client.get("/oauth2/set-password", params={"token": token})
    if page.status_code != 200:
        return page
    assert page.headers["referrer-policy"] == "no-referrer"
    return client.post("/oauth2/set-password", data={
        "csrf_token": csrf_of(page.text), "token": token, "password": password,
        "password2": password if repeat is None else repeat})


def _audit(platform, action):
    with platform.session_factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_provisioned_user_chooses_a_password_once_and_signs_in(client, platform, directory,
                                                                 auth_headers, admin_a):
    user_id = _provision(client, auth_headers)
    assert login(client, username="nina", password=NEW_PASSWORD).status_code == 401
    token = _invite(client, admin_a)
    assert _choose(client, token).status_code == 200
    assert login(client, username="nina", password=NEW_PASSWORD).status_code == 303
    assert _choose(client, token).status_code == 400  # single use: no form any more
    csrf = csrf_of(client.get("/oauth2/login").text)
    again = client.post("/oauth2/set-password", data={
        "csrf_token": csrf, "token": token, "password": "yet another passphrase 8",
        "password2": "yet another passphrase 8"})
    assert again.status_code == 400
    assert login(client, username="nina", password="yet another passphrase 8").status_code == 401
    assert [e.subject_id for e in _audit(platform, "identity.user.invite")] == [user_id]
    outcomes = sorted(e.outcome for e in _audit(platform, "identity.user.invitation_redeem"))
    assert outcomes == ["ok", "refused"]
    with platform.session_factory() as s:
        stored = s.scalars(select(Invitation.token_hash)).all()
    assert token not in stored  # only the digest is kept


def test_an_expired_link_and_a_replaced_link_do_not_work(client, platform, directory, auth_headers,
                                                         admin_a):
    _provision(client, auth_headers)
    first = _invite(client, admin_a)
    second = _invite(client, admin_a)
    assert _choose(client, first).status_code == 400
    with platform.session_factory() as s:
        for inv in s.scalars(select(Invitation)):
            inv.expires_at = inv.created_at - timedelta(seconds=1)
        s.commit()
    assert _choose(client, second).status_code == 400
    assert login(client, username="nina", password=NEW_PASSWORD).status_code == 401


def test_a_weak_or_mistyped_password_keeps_the_link(client, directory, auth_headers, admin_a):
    _provision(client, auth_headers)
    token = _invite(client, admin_a)
    assert _choose(client, token, password="short").status_code == 400
    assert _choose(client, token, repeat="something else entirely").status_code == 400
    assert _choose(client, token).status_code == 200


def test_a_forged_or_missing_token_shows_no_form(client, directory):
    for token in ("", "x" * 43, "y" * 500):
        r = client.get("/oauth2/set-password", params={"token": token})
        assert r.status_code == 400 and 'name="password"' not in r.text


def test_the_set_password_post_needs_the_form_token(client, directory, auth_headers, admin_a):
    _provision(client, auth_headers)
    token = _invite(client, admin_a)
    r = client.post("/oauth2/set-password", data={"token": token, "password": NEW_PASSWORD,
                                                  "password2": NEW_PASSWORD})
    assert r.status_code == 403
    assert _choose(client, token).status_code == 200


def test_a_disabled_user_cannot_be_invited(client, directory, auth_headers, admin_a):
    _provision(client, auth_headers)
    assert client.patch("/v1/identity/users/nina", headers=admin_a,
                        json={"active": False}).status_code == 200
    assert client.post("/v1/identity/users/nina/invitation", headers=admin_a).status_code == 400
