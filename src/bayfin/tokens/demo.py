"""Demo data: two in-memory banks, a wallet requestor, and a demo citizen's wallet with accounts from
both banks, one paid by token (once: a rerun finds the wallet and only reconnects the banks)."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal
from bayfin.tokens import domain
from bayfin.tokens import repository as repo
from bayfin.tokens.banks import BankAccount, InMemoryBank
from bayfin.tokens.payments import PaymentRequest
from bayfin.tokens.wiring import tokens_runtime

DEMO_BANKS = {"DEMO-GDB": "62258800", "DEMO-BOC": "62166100"}
WALLET_CLIENT = "demo-wallet"
HOLDER = "demo-citizen-1"
EXPIRES_ON = date(2031, 12, 31)


def _number(rng: random.Random, prefix: str) -> str:
    partial = prefix + "".join(rng.choice("0123456789") for _ in range(18 - len(prefix)))
    return partial + domain.luhn_check_digit(partial)


def seed_demo(platform: Platform, workdir: Path, seed: int) -> dict[str, Any]:
    """Connect the demo banks, register the demo wallet and bind the demo citizen's two accounts."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    runtime = tokens_runtime(platform)
    service = runtime.service
    numbers = {code: _number(rng, prefix) for code, prefix in DEMO_BANKS.items()}
    for code, number in numbers.items():
        service.banks.register(code, InMemoryBank({number: BankAccount(EXPIRES_ON, 5_000_000, HOLDER)}))
    with platform.unit_of_work() as uow:
        if repo.requestor_by_client(uow.session, WALLET_CLIENT) is not None:
            accounts = len(repo.accounts_of(uow.session, HOLDER))
            return {"banks": len(numbers), "accounts": accounts, "payments": 0}
    operator = Principal(subject="demo", organization_type="operator")
    holder = Principal(subject=HOLDER, organization_type="person", client_id=WALLET_CLIENT,
                       scopes=frozenset({"wallet"}), acr="otp")
    with platform.unit_of_work() as uow:
        service.register_requestor(uow.session, operator, name="Bay Area wallet", kind="wallet",
                                   client_id=WALLET_CLIENT, merchants=[], channels=["in_app", "nfc", "qr"],
                                   webhook_url=None)
        provisioned = [runtime.wallet.bind(uow.session, holder, bank_code=code, number=number,
                                           expires_on=EXPIRES_ON, device_id="demo-phone")
                       for code, number in numbers.items()]
        first = provisioned[0]
        uow.commit()
        key = bytes.fromhex(first.cryptogram_key)
        payment = runtime.pay(uow, holder, PaymentRequest(
            token_number=first.token.number, amount_fen=3_800, merchant_id="DEMO-CAFE", channel="nfc", atc=1,
            device_id="demo-phone",
            cryptogram=domain.cryptogram(key, first.token.number, 3_800, "DEMO-CAFE", 1)), holder=HOLDER)
        uow.commit()
    return {"banks": len(numbers), "accounts": len(provisioned), "payments": int(payment.state == "approved")}
