"""Outbound HTTP to an address a tenant named (webhooks): never into the platform's own networks.

A tenant that registers a webhook chooses where the platform will POST. Unchecked, that is a way
into the data centre (``http://127.0.0.1:6379/``, the cloud metadata address, a neighbour's admin
port). :class:`OutboundPolicy` is the one check, used twice:

- when the URL is registered: https only in production; the host must resolve, and every address it
  resolves to must be public (not private, loopback, link-local, multicast, reserved, unspecified,
  shared or documentation ranges, IPv4 and IPv6, IPv4-mapped and embedded addresses included);
- at every delivery, inside the connection itself: the client from :meth:`OutboundPolicy.client`
  resolves the host, checks each address and connects to the checked address only, so a name that
  was public at registration and points inward later (DNS rebinding) is refused. TLS still verifies
  the certificate for the host name.

Networks named in ``BAYFIN_WEBHOOK_ALLOWED_NETWORKS`` are let through (a local receiver in tests, a
bank's own network in an on-premises deployment); nothing else is.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from bayfin.kernel.errors import ValidationFailed
from bayfin.kernel.settings import Environment, Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]


class RefusedAddress(httpcore.ConnectError):
    """A delivery's host resolved to an address the platform does not send to (httpx reports it as a
    ``ConnectError``, so a delivery loop records it as a failed attempt)."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """The address itself and any IPv4 address it carries (mapped, 6to4, Teredo, NAT64 well-known)."""
    found: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in (ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None):
            if inner is not None:
                found.append(inner)
        if ip in ipaddress.IPv6Network("64:ff9b::/96"):
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public(ip: IPAddress) -> bool:
    """True if ``ip`` (and every address it embeds) is a public unicast address."""
    for candidate in _embedded(ip):
        if (not candidate.is_global or candidate.is_private or candidate.is_loopback
                or candidate.is_link_local or candidate.is_multicast or candidate.is_reserved
                or candidate.is_unspecified):
            return False
    return True


@dataclass(frozen=True)
class OutboundPolicy:
    """Where the platform may send a tenant's webhooks (see the module docstring)."""

    require_https: bool
    allowed_networks: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings, resolver: Resolver = system_resolver) -> OutboundPolicy:
        """The policy of a deployment: https only in production; allowed networks from the settings."""
        return cls(require_https=settings.environment is Environment.production,
                   allowed_networks=tuple(ipaddress.ip_network(n, strict=False)
                                          for n in settings.webhook_allowed_networks),
                   resolver=resolver)

    def address_allowed(self, address: str) -> bool:
        """True if the platform may connect to ``address``."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if any(ip in net for net in self.allowed_networks):
            return True
        return is_public(ip)

    def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses of ``host``; :class:`RefusedAddress` if it does not resolve or any
        address is refused (one inward address is enough to refuse: a resolver may rotate)."""
        try:
            found = list(self.resolver(host.strip("[]"), port))
        except (OSError, UnicodeError) as exc:
            raise RefusedAddress(f"{host} does not resolve") from exc
        if not found:
            raise RefusedAddress(f"{host} does not resolve")
        refused = [a for a in found if not self.address_allowed(a)]
        if refused:
            raise RefusedAddress(f"{host} resolves to an address the platform does not send to")
        return found

    def check_url(self, url: str) -> str:
        """``url`` if the platform may POST to it; 422 problem otherwise (said without the address)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ValidationFailed("the webhook URL is malformed") from exc
        schemes = ("https",) if self.require_https else ("https", "http")
        if parts.scheme not in schemes:
            raise ValidationFailed("a webhook must be an https:// URL" if self.require_https
                                   else "a webhook must be an http(s):// URL")
        if not parts.hostname or parts.username is not None or parts.password is not None:
            raise ValidationFailed("a webhook URL names a host and carries no credentials")
        try:
            self.addresses(parts.hostname, port or (443 if parts.scheme == "https" else 80))
        except RefusedAddress as exc:
            raise ValidationFailed(f"the webhook host is refused: {exc}") from exc
        return url

    def client(self, timeout: float = 5.0) -> httpx.Client:
        """An HTTP client that connects only to addresses this policy allows, resolved at connect time;
        no proxy from the environment, no redirects followed."""
        transport = httpx.HTTPTransport(trust_env=False, retries=0)
        # httpx builds its connection pool with the default network backend; the guarded one resolves
        # and checks the host on every new connection (tests/unit/kernel/test_outbound.py proves it).
        transport._pool._network_backend = _GuardedBackend(self)
        return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves a host itself, checks every address, and connects to a checked one."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self.policy.addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last
