"""Fixtures for the token service and wallet API: two banks (one in memory, one a separate HTTP
process), a wallet and a merchant requestor, a local webhook receiver, deterministic delivery."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient

from bayfin.integrations.webhook_outbox import WebhookDispatcher
from bayfin.kernel.platform import Platform
from bayfin.tokens import domain
from bayfin.tokens.bank_outbox import BankOutbox
from bayfin.tokens.banks import BankAccount, HttpBank, InMemoryBank
from bayfin.tokens.risk import FixedRisk
from bayfin.tokens.webhooks import RequestorOutbox
from bayfin.tokens.wiring import TokensRuntime, tokens_runtime
from tests.conftest import TokenFactory


def card(prefix: str) -> str:
    """A Luhn-valid 19-digit account number starting with ``prefix``."""
    partial = prefix.ljust(18, "7")
    return partial + domain.luhn_check_digit(partial)


ALICE_A = card("62220211")  # Alice's card at the in-memory bank
ALICE_B = card("62170033")  # Alice's card at the HTTP test bank
BOB_A = card("62220299")
EXPIRY = date(2030, 6, 30)
WALLET_CLIENT, SHOP_CLIENT, SHOP_MERCHANT = "wallet-app", "shop-app", "M-SHOP-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Receiver:
    """A local HTTP endpoint that records webhook deliveries; it can fail the next ``fail`` calls."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail: int = 0

    def events(self) -> list[str]:
        return [json.loads(body)["event"] for _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = _free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hooks")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            if state.fail > 0:
                state.fail -= 1
                self.send_response(500)
            else:
                state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def test_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The HTTP test bank as its own process on a free port, holding Alice's second account."""
    port = _free_port()
    accounts = tmp_path_factory.mktemp("bank") / "accounts.json"
    accounts.write_text(json.dumps({ALICE_B: [EXPIRY.isoformat(), 500_000, "alice"]}))
    process = subprocess.Popen([sys.executable, "-m", "bayfin.tokens.testbank", "--port", str(port),
                                "--accounts", str(accounts)])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "the test bank exited"
        assert time.monotonic() < deadline, "the test bank did not start"
        time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


@dataclass
class Env:
    """Everything a token API test needs."""

    client: TestClient
    platform: Platform
    runtime: TokensRuntime
    memory_bank: InMemoryBank
    receiver: Receiver
    wallet_id: str
    shop_id: str
    wallet_secret: str
    risk: FixedRisk
    auth: TokenFactory

    def alice(self, acr: str | None = None) -> dict[str, str]:
        return self.auth("alice", org=None, org_type="person", scopes=["wallet"], client_id=WALLET_CLIENT,
                         acr=acr)

    def bob(self) -> dict[str, str]:
        return self.auth("bob", org=None, org_type="person", scopes=["wallet"], client_id=WALLET_CLIENT)

    def shop(self) -> dict[str, str]:
        return self.auth("svc-shop", org="SHOP", org_type="merchant", scopes=["tokens:request"],
                         client_id=SHOP_CLIENT)

    def issuer(self, bank: str = "BANKA") -> dict[str, str]:
        return self.auth("issuer-ops", org=bank, org_type="institution", scopes=["tokens:issuer"])


@pytest.fixture
def env(client: TestClient, platform: Platform, auth_headers: TokenFactory, receiver: Receiver,
        test_bank: str) -> Env:
    runtime = tokens_runtime(platform)
    runtime.webhooks.close()  # one connection per test: deliver in the request thread, not on a pool
    outbox = RequestorOutbox(runtime.service.webhook_secret)
    runtime.webhooks = WebhookDispatcher(platform.session_factory, outbox, platform.clock, backoff=0.01,
                                         background=False, outbound=runtime.service.outbound)
    runtime.bank_outbox.close()
    runtime.bank_outbox = BankOutbox(platform.session_factory, runtime.payments, background=False)
    risk = FixedRisk("ALLOW")
    runtime.service.risk = risk
    memory_bank = InMemoryBank({ALICE_A: BankAccount(EXPIRY, 1_000_000, "alice"),
                                BOB_A: BankAccount(EXPIRY, 1_000_000, "bob")})
    runtime.service.banks.register("BANKA", memory_bank)
    runtime.service.banks.register("BANKB", HttpBank(test_bank))
    admin = auth_headers("ops", org="GD-OPS", org_type="operator", scopes=["tokens:admin"])
    wallet = client.post("/v1/tokens/requestors", headers=admin, json={
        "name": "Bay wallet", "kind": "wallet", "client_id": WALLET_CLIENT,
        "channels": ["in_app", "nfc", "qr"], "webhook_url": receiver.url})
    shop = client.post("/v1/tokens/requestors", headers=admin, json={
        "name": "Shop", "kind": "merchant", "client_id": SHOP_CLIENT, "merchants": [SHOP_MERCHANT],
        "channels": ["ecommerce"], "webhook_url": receiver.url})
    assert wallet.status_code == 201 and shop.status_code == 201, (wallet.text, shop.text)
    return Env(client, platform, runtime, memory_bank, receiver, wallet.json()["id"], shop.json()["id"],
               wallet.json()["webhook_secret"], risk, auth_headers)


def pay_body(provisioned: dict[str, object], *, amount: int = 1000, merchant: str = "M-CAFE",
             channel: str = "nfc", atc: int = 1, device: str | None = "alice-phone") -> dict[str, object]:
    """A payment request with the right cryptogram for the token provisioned in ``provisioned``."""
    token = provisioned["token"]
    assert isinstance(token, dict)
    key = bytes.fromhex(str(provisioned["cryptogram_key"]))
    return {"token_number": token["number"], "amount_fen": amount, "merchant_id": merchant,
            "channel": channel, "atc": atc, "device_id": device,
            "cryptogram": domain.cryptogram(key, str(token["number"]), amount, merchant, atc)}


def bind(env: Env, number: str = ALICE_A, bank: str = "BANKA", device: str = "alice-phone",
         who: dict[str, str] | None = None) -> dict[str, object]:
    """Bind an account to Alice's (or ``who``'s) wallet; the provisioning response."""
    response = env.client.post("/v1/wallet/accounts", headers=who or env.alice(), json={
        "bank_code": bank, "account_number": number, "expiry_month": EXPIRY.month,
        "expiry_year": EXPIRY.year, "device_id": device})
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data
