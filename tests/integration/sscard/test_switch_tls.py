"""Mutual TLS on an acquirer link: the acquirer's certificate must be signed by the link's CA."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bayfin.sscard.switch.acquirer import SwitchConnection
from bayfin.sscard.switch.links import load_links
from bayfin.sscard.switch.server import SwitchServer
from tests.integration.sscard.conftest import Ledger


def _issue(name: str, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None, *, ca: bool = False,
           ip: str | None = None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer or (subject, key)
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        address = x509.IPAddress(ipaddress.ip_address(ip))
        builder = builder.add_extension(x509.SubjectAlternativeName([address]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def _save(folder: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    (folder / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))


def test_only_an_acquirer_with_a_certificate_from_the_links_ca_gets_through(ledger: Ledger,
                                                                          tmp_path: Path) -> None:
    ca_cert, ca_key = _issue("acquirer CA", None, ca=True)
    server_cert, server_key = _issue("switch", (ca_cert.subject, ca_key), ip="127.0.0.1")
    client_cert, client_key = _issue("34400001", (ca_cert.subject, ca_key))
    rogue_ca, rogue_ca_key = _issue("rogue CA", None, ca=True)
    rogue_cert, rogue_key = _issue("34400001", (rogue_ca.subject, rogue_ca_key))
    for name, cert, key in (("ca", ca_cert, ca_key), ("server", server_cert, server_key),
                            ("client", client_cert, client_key), ("rogue", rogue_cert, rogue_key)):
        _save(tmp_path, name, cert, key)
    acq = ledger.acquirer()
    (tmp_path / "links.json").write_text(json.dumps([{
        "acquirer": acq.acquirer_id, "port": 0, "zone_key": acq.zone_key.hex(),
        "tls_cert": "server.crt", "tls_key": "server.key", "tls_client_ca": "ca.crt"}]))
    link = load_links(tmp_path / "links.json")[0]

    def client(name: str | None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(tmp_path / "ca.crt"))
        if name:
            context.load_cert_chain(tmp_path / f"{name}.crt", tmp_path / f"{name}.key")
        return context

    async def attempt(server: SwitchServer, name: str | None) -> str:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port, ssl=client(name))
            conn = SwitchConnection(reader, writer, acq)
            try:
                return (await conn.call(acq.echo(), timeout=10))["39"]
            finally:
                await conn.close()
        except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError):
            return "refused"

    async def main() -> list[str]:
        server = SwitchServer(ledger.processor(), link, workers=1)
        await server.start()
        try:
            return [await attempt(server, name) for name in ("client", None, "rogue")]
        finally:
            await server.close()

    assert asyncio.run(main()) == ["00", "refused", "refused"]
