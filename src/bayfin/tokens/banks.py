"""Banks behind one adapter interface: an in-memory fake bank and an HTTP adapter to a bank's API."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import httpx

from bayfin.kernel.errors import ServiceUnavailable, ValidationFailed
from bayfin.kernel.ids import new_id


@dataclass(frozen=True, slots=True)
class BankAuthorization:
    """The issuing bank's answer to a detokenised transaction."""

    approved: bool
    code: str  # "00" approved, "51" insufficient funds, "14" no such account, "54" expired
    authorization_id: str | None = None


class BankAdapter(Protocol):
    """What bayfin asks of an issuing bank."""

    def verify_account(self, number: str, expires_on: date) -> bool:
        """True if the bank holds this account with this expiry (ID&V of the account itself)."""
        ...

    def authorize(self, number: str, amount_fen: int, merchant_id: str, reference: str) -> BankAuthorization:
        """Authorise a payment of ``amount_fen`` from the account to the merchant."""
        ...


class InMemoryBank:
    """A fake bank for tests and the demo: accounts with expiry and balance, kept in memory."""

    def __init__(self, accounts: dict[str, tuple[date, int]] | None = None) -> None:
        self.accounts: dict[str, tuple[date, int]] = dict(accounts or {})
        self.authorizations: list[tuple[str, int, str, str]] = []
        self._lock = threading.Lock()

    def verify_account(self, number: str, expires_on: date) -> bool:
        """True if the account exists with this expiry."""
        found = self.accounts.get(number)
        return found is not None and found[0] == expires_on

    def authorize(self, number: str, amount_fen: int, merchant_id: str, reference: str) -> BankAuthorization:
        """Approve when the balance covers the amount, and take it off."""
        with self._lock:
            found = self.accounts.get(number)
            if found is None:
                return BankAuthorization(False, "14")
            expires_on, balance = found
            if amount_fen > balance:
                return BankAuthorization(False, "51")
            self.accounts[number] = (expires_on, balance - amount_fen)
            self.authorizations.append((number, amount_fen, merchant_id, reference))
            return BankAuthorization(True, "00", new_id("auth"))


class HttpBank:
    """A bank reached over HTTP (``POST /accounts/verify``, ``POST /authorizations``)."""

    def __init__(self, base_url: str, *, timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout)

    def _post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        try:
            response = self._client.post(path, json=body)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            # the message names the path only: the request body holds the account number
            raise ServiceUnavailable(f"the bank did not answer {path}", reason="BANK_UNAVAILABLE") from exc
        data: dict[str, object] = response.json()
        return data

    def verify_account(self, number: str, expires_on: date) -> bool:
        """Ask the bank whether it holds the account."""
        return bool(self._post("/accounts/verify", {"number": number,
                                                    "expires_on": expires_on.isoformat()})["known"])

    def authorize(self, number: str, amount_fen: int, merchant_id: str, reference: str) -> BankAuthorization:
        """Ask the bank to authorise the payment."""
        data = self._post("/authorizations", {"number": number, "amount_fen": amount_fen,
                                               "merchant_id": merchant_id, "reference": reference})
        auth_id = data.get("authorization_id")
        return BankAuthorization(bool(data["approved"]), str(data["code"]),
                                 None if auth_id is None else str(auth_id))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


class BankDirectory:
    """The adapters of the banks bayfin can bind accounts from, by bank code."""

    def __init__(self) -> None:
        self._banks: dict[str, BankAdapter] = {}

    def register(self, code: str, adapter: BankAdapter) -> None:
        """Connect a bank (replacing an earlier adapter for the same code)."""
        self._banks[code] = adapter

    def codes(self) -> list[str]:
        """The connected banks' codes."""
        return sorted(self._banks)

    def get(self, code: str) -> BankAdapter:
        """The adapter of bank ``code``; 422 when no such bank is connected."""
        adapter = self._banks.get(code)
        if adapter is None:
            raise ValidationFailed(f"bank {code!r} is not connected", reason="UNKNOWN_BANK")
        return adapter

    def close(self) -> None:
        """Close every adapter that holds connections."""
        for adapter in self._banks.values():
            close = getattr(adapter, "close", None)
            if callable(close):
                close()
