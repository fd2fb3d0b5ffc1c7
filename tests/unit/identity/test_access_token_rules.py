"""Pure rules: what counts as an access token for this API (RFC 9068), and a rotated-out client
secret's grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bayfin.identity.core.models import App
from bayfin.identity.core.service import hash_client_secret
from bayfin.identity.oidc.oauth_models import OAuthClient
from bayfin.kernel.errors import Unauthenticated
from bayfin.kernel.security import check_access_token, default_audience

API = default_audience("https://id.example/")


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt"])
@pytest.mark.parametrize("aud", [API, [API], ["https://other.example", API]])
def test_an_at_jwt_for_this_api_passes(typ, aud):
    check_access_token({"typ": typ}, {"aud": aud}, API)


@pytest.mark.parametrize(("header", "claims"), [
    ({"typ": "JWT"}, {"aud": API}),                      # an ID token's type
    ({}, {"aud": API}),                                  # no type at all
    ({"typ": "at+jwt"}, {"aud": "portal"}),              # an ID token's audience (a client)
    ({"typ": "at+jwt"}, {}),                             # no audience
    ({"typ": "at+jwt"}, {"aud": "https://id.example/v1/extra"}),
    ({"typ": "at+jwt"}, {"aud": ["https://other.example"]}),
])
def test_anything_else_is_refused(header, claims):
    with pytest.raises(Unauthenticated):
        check_access_token(header, claims, API)


def test_the_api_audience_is_the_issuers_v1_base():
    assert API == "https://id.example/v1"


def _app(previous_until):
    return App(client_id="c", client_type="confidential", secret_hash=hash_client_secret("new"),
               previous_secret_hash=hash_client_secret("old"),
               previous_secret_expires_at=previous_until, active=True)


def test_the_old_secret_works_only_inside_its_grace_period():
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    inside = OAuthClient(_app(now + timedelta(hours=1)), now)
    after = OAuthClient(_app(now - timedelta(seconds=1)), now)
    assert inside.check_client_secret("new") and inside.check_client_secret("old")
    assert after.check_client_secret("new") and not after.check_client_secret("old")
    assert not inside.check_client_secret("guess")
