"""Acquirer links: each listener belongs to one acquirer, and each connection on it is a link session.

A link is configured per acquirer (the link table, a JSON file given to ``bayfin sscard switch serve
--links``): the address and port it listens on, its zone master key, its idle timeout and connection
cap, and optionally mutual TLS (server certificate plus the CA that signed the acquirer's client
certificate). Every message on a connection must carry that acquirer's id in field 32, and money
messages are refused until the connection signed on (0800, field 70 = 001).
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Link:
    """One acquirer's listener."""

    acquirer_id: str
    host: str = "127.0.0.1"
    port: int = 0
    idle_timeout: float = 60.0
    max_connections: int = 8
    zone_key: bytes = field(default=b"", repr=False)
    tls: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.acquirer_id.isdigit() and 1 <= len(self.acquirer_id) <= 11):
            raise ValueError("an acquirer id is 1 to 11 digits")
        if self.idle_timeout <= 0 or self.max_connections < 1:
            raise ValueError("idle timeout and connection cap must be positive")


@dataclass
class LinkSession:
    """The state of one connection: which acquirer it is bound to and whether it signed on."""

    link: Link
    signed_on: bool = False

    @property
    def acquirer_id(self) -> str:
        """The acquirer every message on this connection must name in field 32."""
        return self.link.acquirer_id


def _tls(entry: dict[str, str], base: Path) -> ssl.SSLContext | None:
    if "tls_cert" not in entry:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(base / entry["tls_cert"], base / entry["tls_key"])
    context.load_verify_locations(base / entry["tls_client_ca"])
    context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: the acquirer proves its certificate
    return context


def load_links(path: Path) -> list[Link]:
    """Read the link table: a JSON list of ``{"acquirer", "host", "port", "zone_key" (32 hex),
    "idle_timeout", "max_connections", "tls_cert", "tls_key", "tls_client_ca"}`` (TLS optional)."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list) or not entries:
        raise ValueError("the link table is a non-empty JSON list")
    links = [Link(acquirer_id=str(e["acquirer"]), host=str(e.get("host", "127.0.0.1")),
                  port=int(e["port"]), idle_timeout=float(e.get("idle_timeout", 60)),
                  max_connections=int(e.get("max_connections", 8)),
                  zone_key=bytes.fromhex(str(e["zone_key"])), tls=_tls(e, path.parent))
             for e in entries]
    if len({link.acquirer_id for link in links}) != len(links):
        raise ValueError("one link per acquirer")
    if any(len(link.zone_key) != 16 for link in links):
        raise ValueError("a zone key is 32 hex digits (double-length DES)")
    return links
