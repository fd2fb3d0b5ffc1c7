"""A tiny stand-alone bank for tests and the demo, reached through :class:`~bayfin.tokens.banks.HttpBank`.

Run as its own process: ``python -m bayfin.tokens.testbank --port 8701 --accounts accounts.json``
where the file maps account numbers to ``[expiry ISO date, balance in fen]``. It keeps balances in
memory and logs no request bodies.
"""

from __future__ import annotations

import argparse
import json
import threading
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI
from pydantic import BaseModel, Field

from bayfin.tokens.banks import InMemoryBank


class VerifyIn(BaseModel):
    """An account to confirm."""

    number: Annotated[str, Field(pattern=r"^[0-9]{12,19}$")]
    expires_on: date


class AuthorizeIn(BaseModel):
    """A detokenised payment to authorise."""

    number: Annotated[str, Field(pattern=r"^[0-9]{12,19}$")]
    amount_fen: Annotated[int, Field(gt=0)]
    merchant_id: str
    reference: str


def create_app(accounts: dict[str, tuple[date, int]]) -> FastAPI:
    """The bank's API over an in-memory ledger of ``accounts``."""
    bank = InMemoryBank(accounts)
    app = FastAPI(title="bayfin test bank")
    lock = threading.Lock()

    @app.post("/accounts/verify")
    def verify(body: VerifyIn) -> dict[str, bool]:
        """Whether the bank holds this account with this expiry."""
        return {"known": bank.verify_account(body.number, body.expires_on)}

    @app.post("/authorizations")
    def authorize(body: AuthorizeIn) -> dict[str, object]:
        """Approve when the balance covers the amount."""
        with lock:
            result = bank.authorize(body.number, body.amount_fen, body.merchant_id, body.reference)
        return {"approved": result.approved, "code": result.code,
                "authorization_id": result.authorization_id}

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the test bank on loopback."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--accounts", type=Path, required=True)
    args = parser.parse_args(argv)
    raw = json.loads(args.accounts.read_text())
    accounts = {number: (date.fromisoformat(expiry), int(balance))
                for number, (expiry, balance) in raw.items()}
    uvicorn.run(create_app(accounts), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
