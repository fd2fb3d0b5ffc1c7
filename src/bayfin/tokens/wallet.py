"""The one-interface multi-bank wallet: a person binds accounts from several banks, sees accounts and
tokens in one place, picks a default, suspends a lost device's tokens in one action and pays by token.
The wallet app is itself a token requestor; every token it holds is bound to the person's device."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from bayfin.kernel.errors import NotFound
from bayfin.kernel.security import Principal
from bayfin.tokens import repository as repo
from bayfin.tokens.domain import TokenState
from bayfin.tokens.models import Account, Token
from bayfin.tokens.service import Provisioned, TokenService


@dataclass(frozen=True, slots=True)
class WalletAccount:
    """One bound account with its tokens."""

    account: Account
    tokens: Sequence[Token]


class Wallet:
    """Wallet use cases over the token service."""

    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens

    def bind(self, session: Session, principal: Principal, *, bank_code: str, number: str,
             expires_on: date, device_id: str, ip: str | None = None) -> Provisioned:
        """Bind an account of ``bank_code`` (the bank confirms it) and provision the device's token."""
        requestor = self.tokens.requestor_of(session, principal)
        vaulted = self.tokens.vault(session, principal, number=number, expires_on=expires_on,
                                    bank_code=bank_code, requestor_id=requestor.id, device_id=device_id,
                                    holder=principal.subject)
        return self.tokens.provision(session, principal, requestor, vaulted, device_id=device_id, ip=ip)

    def accounts(self, session: Session, principal: Principal) -> list[WalletAccount]:
        """The person's accounts (default first) with every token of each, across requestors."""
        accounts = repo.accounts_of(session, principal.subject)
        tokens = repo.tokens_of_accounts(session, [a.id for a in accounts])
        by_account: dict[str, list[Token]] = {}
        for token in tokens:
            by_account.setdefault(token.account_id, []).append(token)
        self.tokens.record(session, principal, "wallet.list", "wallet", principal.subject,
                           accounts=len(accounts))
        return [WalletAccount(a, by_account.get(a.id, [])) for a in accounts]

    def set_default(self, session: Session, principal: Principal, account_id: str) -> Account:
        """Make one of the person's accounts the default."""
        accounts = repo.accounts_of(session, principal.subject)
        chosen = next((a for a in accounts if a.id == account_id), None)
        if chosen is None:
            raise NotFound("no such account in your wallet")
        for account in accounts:
            account.is_default = account.id == account_id
        session.flush()
        self.tokens.record(session, principal, "wallet.default", "payment_account", chosen.par)
        return chosen

    def suspend_device(self, session: Session, principal: Principal, device_id: str) -> list[Token]:
        """Suspend every active token of the person's accounts bound to ``device_id`` (a lost phone);
        each resumes only after the holder's step-up."""
        accounts = {a.id: a for a in repo.accounts_of(session, principal.subject)}
        on_device = [t for t in repo.tokens_of_accounts(session, list(accounts))
                     if t.device_id == device_id and t.holder == principal.subject]
        if not on_device:
            raise NotFound("no such device in your wallet")
        suspended = []
        for token in on_device:
            if token.state == TokenState.ACTIVE:
                suspended.append(self.tokens.transition(session, principal, token,
                                                        accounts[token.account_id], "suspend",
                                                        reason="device_lost"))
        self.tokens.record(session, principal, "wallet.device_lost", "device", device_id,
                           tokens=len(suspended))
        return suspended

    def token_of_holder(self, session: Session, principal: Principal, token_id: str) -> tuple[Token, Account]:
        """One of the person's own tokens (404 for anyone else's: its existence is not revealed)."""
        token = repo.token(session, token_id)
        account = repo.account(session, token.account_id) if token is not None else None
        if token is None or account is None or token.holder != principal.subject:
            raise NotFound("no such token in your wallet")
        return token, account
