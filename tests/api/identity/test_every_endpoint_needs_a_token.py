"""Every identity API route except discovery, JWKS, the sign-in pages and the token endpoints
refuses a request without a bearer token."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from bayfin.identity.core import admin
from bayfin.identity.oidc import pages, protocol
from bayfin.identity.scim import endpoints as scim_endpoints

PUBLIC_PREFIXES = ("/oauth2/", "/.well-known/", "/scim/v2/ServiceProviderConfig", "/scim/v2/ResourceTypes",
                   "/scim/v2/Schemas")
ROUTES = [r for m in (admin, pages, protocol, scim_endpoints) for r in m.router.routes]
PROTECTED = sorted({(m, r.path) for r in ROUTES if isinstance(r, APIRoute)
                    for m in r.methods
                    if not r.path.startswith(PUBLIC_PREFIXES) or r.path == "/oauth2/userinfo"})


def test_the_sweep_covers_the_admin_and_scim_apis():
    paths = {p for _, p in PROTECTED}
    assert "/v1/identity/users" in paths and "/scim/v2/Users" in paths and len(PROTECTED) > 25


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_a_request_without_a_token_is_refused(client, method, path):
    url = path.replace("{ref}", "alice").replace("{client_id}", "portal").replace(
        "{user_id}", "u1").replace("{group_id}", "g1").replace("{kind}", "totp")
    r = client.request(method, url, json={})
    assert r.status_code == 401, (method, path, r.status_code)
