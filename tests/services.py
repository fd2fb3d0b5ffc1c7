"""Finding the real servers the integration tests talk to, and skipping (or, in CI, failing) without them."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

DEFAULTS = {
    "postgres": os.environ.get("BAYFIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    "redis": os.environ.get("BAYFIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    "nats": os.environ.get("BAYFIN_TEST_NATS_URL", "nats://127.0.0.1:4222"),
    "mqtt": os.environ.get("BAYFIN_TEST_MQTT_URL", "mqtt://127.0.0.1:1883"),
}
_PORTS = {"postgres": 5432, "redis": 6379, "nats": 4222, "mqtt": 1883}


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port),
                                      timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str) -> str:
    """The URL of a running ``name`` server; skip the test if it is absent.

    With BAYFIN_REQUIRE_SERVICES=1 (set by .ci/run) an absent server fails the test instead, so CI can
    never pass by skipping what it was meant to check.
    """
    url = DEFAULTS[name]
    if _reachable(url, _PORTS[name]):
        return url
    message = f"service unavailable: {name} at {url} (start it to run this test)"
    if os.environ.get("BAYFIN_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " — BAYFIN_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(message)
