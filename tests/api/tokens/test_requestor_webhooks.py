"""A token requestor's webhook goes through the same outbound policy as every webhook: nothing inward."""

import pytest


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "https://10.2.3.4/hooks",
                                 "https://[::ffff:192.168.1.1]/hooks", "http://127.0.0.1:6379/"])
def test_a_requestor_webhook_into_the_platforms_networks_is_refused(client, auth_headers, platform, url):
    from bayfin.kernel.outbound import OutboundPolicy
    from bayfin.tokens.wiring import tokens_runtime

    tokens_runtime(platform).service.outbound = OutboundPolicy(require_https=False)  # no local exception
    admin = auth_headers("ops", org="GD-OPS", org_type="operator", scopes=["tokens:admin"])
    r = client.post("/v1/tokens/requestors", headers=admin, json={
        "name": "Wallet", "kind": "wallet", "client_id": "w-app", "channels": ["in_app"], "webhook_url": url})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    listed = client.get("/v1/tokens/requestors", headers=admin).json()
    assert (listed["items"] if isinstance(listed, dict) else listed) == []
