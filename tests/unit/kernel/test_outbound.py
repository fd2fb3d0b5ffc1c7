"""Webhook targets: nothing a tenant names reaches the platform's own networks, at registration or at
delivery (a name that turns inward after it was checked is refused at connect time)."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import httpx
import pytest

from bayfin.kernel.errors import ValidationFailed
from bayfin.kernel.outbound import OutboundPolicy, RefusedAddress, is_public
from bayfin.kernel.settings import Settings

PUBLIC = "93.184.216.34"
INWARD = [
    "127.0.0.1", "127.8.8.8", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "::ffff:169.254.169.254", "2002:7f00:1::1", "64:ff9b::a00:1", "2001:db8::1",
]


def fixed(mapping: dict[str, list[str]]):
    def resolve(host: str, _port: int) -> list[str]:
        if host in mapping:
            return mapping[host]
        try:
            ipaddress.ip_address(host)
        except ValueError as exc:
            raise OSError("no such host") from exc
        return [host]
    return resolve


@pytest.mark.parametrize("address", INWARD)
def test_no_private_loopback_link_local_multicast_or_reserved_address_counts_as_public(address):
    assert not is_public(ipaddress.ip_address(address))


def test_a_public_address_is_public():
    assert is_public(ipaddress.ip_address(PUBLIC)) and is_public(ipaddress.ip_address("2606:4700::1111"))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:6379/", "https://10.1.2.3/hook", "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/x", "https://[::ffff:127.0.0.1]/x", "https://[fe80::1]/x", "https://0.0.0.0/x",
    "https://inward.example/x", "https://mixed.example/x", "https://nowhere.example/x",
    "https://user:pw@hooks.example/x", "ftp://hooks.example/x", "https:///x", "javascript:alert(1)",
    "https://hooks.example:99999/x",
])
def test_a_webhook_into_the_platforms_networks_is_refused_at_registration(url):
    policy = OutboundPolicy(require_https=False, resolver=fixed({
        "hooks.example": [PUBLIC], "inward.example": ["10.0.0.7"],
        "mixed.example": [PUBLIC, "127.0.0.1"]}))
    with pytest.raises(ValidationFailed):
        policy.check_url(url)


def test_production_takes_https_to_a_public_host_only():
    resolver = fixed({"hooks.example": [PUBLIC]})
    production = OutboundPolicy.from_settings(
        Settings(environment="production", database_url="postgresql://x/y", audit_key="k" * 40,
                 issuer="https://id.example"), resolver)
    assert production.check_url("https://hooks.example/x") == "https://hooks.example/x"
    with pytest.raises(ValidationFailed):
        production.check_url("http://hooks.example/x")
    development = OutboundPolicy.from_settings(Settings(), resolver)
    assert development.check_url("http://hooks.example/x") == "http://hooks.example/x"
    with pytest.raises(ValidationFailed):
        development.check_url("http://127.0.0.1:6379/")


def test_an_allowed_network_is_the_only_exception():
    policy = OutboundPolicy.from_settings(Settings(webhook_allowed_networks=["127.0.0.0/8"]))
    assert policy.address_allowed("127.0.0.1")
    assert not policy.address_allowed("10.0.0.1") and not policy.address_allowed("::1")
    with pytest.raises(ValueError):
        Settings(webhook_allowed_networks=["not-a-network"])


class _Receiver(BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        _Receiver.hosts.append(self.headers.get("host", ""))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[int]:
    _Receiver.hosts = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def test_a_name_that_turns_inward_after_registration_is_not_called(receiver):
    answers = {"rebind.example": [PUBLIC]}
    policy = OutboundPolicy(require_https=False, resolver=fixed(answers))
    url = f"http://rebind.example:{receiver}/hook"
    assert policy.check_url(url) == url
    answers["rebind.example"] = ["127.0.0.1"]  # the attacker's DNS now answers with the platform itself
    with policy.client(timeout=2) as http, pytest.raises(httpx.ConnectError) as refused:
        http.post(url, content=b"{}")
    assert isinstance(refused.value.__context__, RefusedAddress) or "refused" in str(refused.value)
    assert _Receiver.hosts == []


def test_the_guarded_client_connects_to_the_checked_address_and_keeps_the_host_name(receiver):
    policy = OutboundPolicy(require_https=False, allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),),
                            resolver=fixed({"hook.test": ["127.0.0.1"]}))
    with policy.client(timeout=2) as http:
        assert http.post(f"http://hook.test:{receiver}/hook", content=b"{}").status_code == 204
    assert _Receiver.hosts == [f"hook.test:{receiver}"]
