"""The scim2-tester conformance checker, run in-process against the SCIM API as a bank's HR client:
every check of RFC 7643/7644 it knows must pass (no ERROR, no CRITICAL)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from fastapi.testclient import TestClient
from scim2_client import BaseSyncSCIMClient
from scim2_tester import Status, check_server

from bayfin.api.app import create_app


class InProcessScim(BaseSyncSCIMClient):
    """scim2-client over Starlette's in-process httpx client (scim2-client ships httpx2 and WSGI
    engines, not one for a synchronous ASGI app)."""

    def __init__(self, client: TestClient, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        try:
            url = self.client.build_request("GET", endpoint).url
        except httpx.InvalidURL:
            return False
        base = self.client.base_url
        return url.scheme == base.scheme and url.host == base.host and url.port == base.port \
            and url.raw_path.startswith(base.raw_path)

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, url, **kwargs)


def test_scim2_tester_finds_no_error(platform, directory, auth_headers, capsys):
    headers = auth_headers(subject="hr-a", org="BANK-A", org_type="institution", scopes=["scim"],
                           client_id="hr-a")
    with TestClient(create_app(platform=platform), base_url="http://testserver/scim/v2/",
                    raise_server_exceptions=False, headers=headers) as http:
        results = check_server(InProcessScim(http))
    counts = Counter(r.status.name for r in results)
    failures = [f"{r.resource_type or '-'} {r.title}: {r.reason}" for r in results
                if r.status in (Status.ERROR, Status.CRITICAL)]
    with capsys.disabled():
        print(f"\nscim2-tester: {dict(sorted(counts.items()))}")
        for line in failures:
            print("  " + line)
    assert results and not failures
