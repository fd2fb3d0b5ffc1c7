"""Open API of the token service (``/v1/tokens``: requestors, provisioning, lifecycle, issuer updates,
payment by token) and of the wallet (``/v1/wallet``). Requestors call with their identity-platform
client credentials (``tokens:request``); issuers with ``tokens:issuer``; the wallet with ``wallet``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request, Response
from sqlalchemy.orm import Session as OrmSession

from bayfin.api.deps import AUTH_ERRORS, PlatformDep, Session, UoW, rate_limited, require
from bayfin.api.pagination import Paging
from bayfin.api.problems import problem_schema
from bayfin.kernel.db import UnitOfWork
from bayfin.kernel.errors import Forbidden
from bayfin.kernel.pagination import Page
from bayfin.kernel.security import Principal
from bayfin.tokens import repository as repo
from bayfin.tokens import schemas as s
from bayfin.tokens.domain import Controls
from bayfin.tokens.models import Account, BankOperation, Requestor, Token, TokenPayment
from bayfin.tokens.payments import FINAL, PaymentRequest, PaymentState
from bayfin.tokens.service import NewKey, Provisioned, expiry_from, pending_webhooks
from bayfin.tokens.wiring import TokensRuntime, tokens_runtime

router = APIRouter(tags=["tokens"])

Admin = Annotated[Principal, Depends(require(scopes=("tokens:admin",), org_types=("operator",)))]
TokenRequestor = Annotated[Principal, Depends(require(scopes=("tokens:request",)))]
Issuer = Annotated[Principal, Depends(require(scopes=("tokens:issuer",), org_types=("institution",)))]
Holder = Annotated[Principal, Depends(require(scopes=("wallet",)))]

_Responses = dict[int | str, dict[str, Any]]
_AUTH: _Responses = {code: dict(doc) for code, doc in AUTH_ERRORS.items()}
_REFUSED: _Responses = {403: problem_schema("Refused, with a reason code (`reason`)")}
_NOT_FOUND: _Responses = {404: problem_schema("No such token or account")}
_CONFLICT: _Responses = {409: problem_schema("It exists already, or the state does not allow it")}
_INVALID: _Responses = {422: problem_schema("The request does not hold")}
_ALL: _Responses = {**_AUTH, **_REFUSED, **_NOT_FOUND, **_CONFLICT, **_INVALID}
_LIMITED: _Responses = {**_ALL, 429: problem_schema("The organization's rate limit or daily quota is spent")}
_PAYING: _Responses = {**_LIMITED, 202: {"model": s.PaymentOut, "description": "The issuer's outcome is not "
                                         "known yet (or it is being reversed): poll the payment"},
                       503: problem_schema("The issuing bank is unreachable")}
# Provisioning and payments are what an attacker with a stolen credential would hammer (card testing,
# token farming): each counts against the caller's organization (or the person, for the wallet).
_PROVISIONING = [Depends(rate_limited("token_provisioning"))]
_PAYMENTS = [Depends(rate_limited("token_payments"))]


def _send_webhooks_after_commit(uow: UnitOfWork, runtime: TokensRuntime) -> None:
    ids = pending_webhooks(uow.session)
    if ids:
        uow.after_commit(lambda: runtime.webhooks.submit(ids))


def _requestor_out(found: Requestor) -> s.RequestorOut:
    return s.RequestorOut(id=found.id, name=found.name, kind=found.kind, client_id=found.client_id,
                          merchants=list(found.merchants), channels=list(found.channels),
                          webhook_url=found.webhook_url)


def _token_out(token: Token) -> s.TokenOut:
    controls = Controls.from_dict(token.controls)
    return s.TokenOut(id=token.id, number=token.number, requestor_id=token.requestor_id,
                      device_id=token.device_id or None, state=token.state, assurance=token.assurance,
                      expires_on=controls.expires_on, merchants=sorted(controls.merchants),
                      channels=sorted(controls.channels), max_amount_fen=controls.max_amount_fen)


def _provision_out(done: Provisioned) -> s.ProvisionOut:
    return s.ProvisionOut(token=_token_out(done.token), verdict=done.verdict.value,
                          par=done.account.par, account_last4=done.account.last4,
                          cryptogram_key=done.cryptogram_key)


def _payment_out(session: OrmSession, payment: TokenPayment,
                 response: Response | None = None) -> s.PaymentOut:
    token = repo.token(session, payment.token_id)
    account = repo.account(session, token.account_id) if token is not None else None
    assert account is not None  # foreign keys
    if response is not None:
        response.status_code = 200 if PaymentState(payment.state) in FINAL else 202
    return s.PaymentOut(payment_id=payment.id, state=payment.state,
                        approved=payment.state == PaymentState.APPROVED, response_code=payment.response_code,
                        authorization_id=payment.authorization_id, token_id=payment.token_id, par=account.par,
                        amount_fen=payment.amount_fen, refunded_fen=payment.refunded_fen)


def _operation_out(operation: BankOperation) -> s.BankOperationOut:
    return s.BankOperationOut(id=operation.id, payment_id=operation.payment_id,
                              kind=operation.kind, amount_fen=operation.amount_fen,
                              state=operation.state)


def _key_out(done: NewKey) -> s.KeyOut:
    return s.KeyOut(token_id=done.token.id, cryptogram_key=done.key, key_sequence=done.sequence,
                    expires_at=done.expires_at, max_uses=done.max_uses)


def _pay(runtime: TokensRuntime, uow: UnitOfWork, who: Principal, body: s.PaymentIn, response: Response,
         holder: str | None = None) -> s.PaymentOut:
    request = PaymentRequest(token_number=body.token_number, amount_fen=body.amount_fen,
                             merchant_id=body.merchant_id, channel=body.channel, atc=body.atc,
                             cryptogram=body.cryptogram, device_id=body.device_id)
    return _payment_out(uow.session, runtime.pay(uow, who, request, holder), response)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# ---------------------------------------------------------------- token service


@router.post("/v1/tokens/requestors", response_model=s.RequestorCreated, status_code=201,
             responses={**_AUTH, **_CONFLICT, **_INVALID})
def register_requestor(body: s.RequestorIn, platform: PlatformDep, session: Session,
                       who: Admin) -> s.RequestorCreated:
    """Register a token requestor (wallet, merchant or payment institution) with its identity client,
    allowed merchants and channels; the webhook signing secret is shown this once."""
    service = tokens_runtime(platform).service
    found = service.register_requestor(session, who, name=body.name, kind=body.kind, client_id=body.client_id,
                                       merchants=list(body.merchants), channels=list(body.channels),
                                       webhook_url=body.webhook_url)
    return s.RequestorCreated(**_requestor_out(found).model_dump(),
                              webhook_secret=service.shown_webhook_secret(found.id))


@router.get("/v1/tokens/requestors", response_model=Page[s.RequestorOut], responses={**_AUTH})
def list_requestors(session: Session, who: Admin, pager: Paging) -> Page[s.RequestorOut]:
    """Every registered token requestor, by id."""
    return pager.page(repo.requestors(session, pager.page_request), lambda r: (r.id,), _requestor_out)


@router.post("/v1/tokens", response_model=s.ProvisionOut, status_code=201, responses=_LIMITED,
             dependencies=_PROVISIONING)
def provision_token(body: s.ProvisionIn, request: Request, platform: PlatformDep, uow: UoW,
                    who: TokenRequestor) -> s.ProvisionOut:
    """Tokenise a card or account for the calling requestor after ID&V: the issuer confirms the account
    and names its holder (``cardholder`` is ignored), the issuer and the risk engine approve, ask for a
    step-up or decline. An account that cannot be confirmed always gets 422 ACCOUNT_NOT_CONFIRMED."""
    runtime = tokens_runtime(platform)
    service, session = runtime.service, uow.session
    requestor = service.requestor_of(session, who)
    vaulted = service.vault(session, who, number=body.account_number, bank_code=body.bank_code,
                            expires_on=expiry_from(body.expiry_year, body.expiry_month),
                            requestor_id=requestor.id, device_id=body.device_id)
    done = service.provision(session, who, requestor, vaulted, device_id=body.device_id,
                             merchants=body.merchants, channels=list(body.channels or []),
                             max_amount_fen=body.max_amount_fen, ip=_client_ip(request))
    _send_webhooks_after_commit(uow, runtime)
    return _provision_out(done)


@router.get("/v1/tokens", response_model=Page[s.TokenOut], responses={**_AUTH, **_REFUSED})
def list_tokens(platform: PlatformDep, session: Session, who: TokenRequestor,
                pager: Paging) -> Page[s.TokenOut]:
    """The calling requestor's tokens, newest first."""
    service = tokens_runtime(platform).service
    requestor = service.requestor_of(session, who)
    page = pager.page(repo.tokens_of_requestor(session, requestor.id, pager.page_request),
                      lambda t: (t.created_at, t.id), _token_out)
    service.record(session, who, "list", "token_requestor", requestor.id, tokens=len(page.items))
    return page


@router.post("/v1/tokens/accounts/update", response_model=s.AccountUpdateOut, responses=_ALL)
def update_account(body: s.AccountUpdateIn, platform: PlatformDep, uow: UoW,
                   who: Issuer) -> s.AccountUpdateOut:
    """The issuing bank replaces an account's number and/or expiry; every token carries over and each
    requestor is notified."""
    runtime = tokens_runtime(platform)
    account, changed = runtime.service.update_account(
        uow.session, who, current_number=body.current_number, new_number=body.new_number,
        new_expires_on=expiry_from(body.expiry_year, body.expiry_month))
    _send_webhooks_after_commit(uow, runtime)
    return s.AccountUpdateOut(par=account.par, account_last4=account.last4, expires_on=account.expires_on,
                              tokens_updated=changed)


@router.post("/v1/tokens/{token_id}/activate", response_model=s.TokenOut, responses=_ALL)
def activate_requested_token(token_id: str, platform: PlatformDep, uow: UoW, who: TokenRequestor,
                             body: Annotated[s.ActivateIn, Body()]) -> s.TokenOut:
    """Activate a card-on-file token the issuer put on step-up, with the one-time code it sent the
    holder (the holder gives it to the requestor)."""
    runtime = tokens_runtime(platform)
    token, account = runtime.service.token_for_change(uow.session, who, token_id)
    runtime.service.transition(uow.session, who, token, account, "activate", otp=body.otp)
    _send_webhooks_after_commit(uow, runtime)
    return _token_out(token)


@router.post("/v1/tokens/{token_id}/keys", response_model=s.KeyOut, status_code=201, responses=_ALL)
def replenish_requestor_key(token_id: str, platform: PlatformDep, session: Session,
                            who: TokenRequestor) -> s.KeyOut:
    """The token's next limited-use key for its device (the previous one stops working)."""
    service = tokens_runtime(platform).service
    token, _account = service.token_for_change(session, who, token_id)
    return _key_out(service.replenish_key(session, who, token))


@router.post("/v1/tokens/{token_id}/{action}", response_model=s.TokenOut, responses=_ALL)
def change_token(token_id: str, action: Literal["suspend", "resume", "delete"], platform: PlatformDep,
                 uow: UoW, who: Annotated[Principal, Depends(require())]) -> s.TokenOut:
    """Suspend, resume or delete a token: by its requestor (``tokens:request``) or its issuing bank
    (``tokens:issuer``); the requestor is notified by webhook."""
    if not (who.has_scope("tokens:request") or who.has_scope("tokens:issuer")):
        raise Forbidden("the token lacks scope tokens:request or tokens:issuer")
    runtime = tokens_runtime(platform)
    token, account = runtime.service.token_for_change(uow.session, who, token_id)
    runtime.service.transition(uow.session, who, token, account, action)
    _send_webhooks_after_commit(uow, runtime)
    return _token_out(token)


@router.post("/v1/tokens/payments", response_model=s.PaymentOut, responses=_PAYING, dependencies=_PAYMENTS)
def pay_by_token(body: s.PaymentIn, response: Response, platform: PlatformDep, uow: UoW,
                 who: TokenRequestor) -> s.PaymentOut:
    """Pay with a token: cryptogram, controls, state and counter are checked and the payment recorded,
    then the issuing bank alone sees the account number and authorises it under the payment id. When
    the bank does not answer in time the payment is reversed: 202 ``reversal_pending``, poll it. The
    same request again (same counter) answers the same payment and never debits twice."""
    return _pay(tokens_runtime(platform), uow, who, body, response)


@router.get("/v1/tokens/payments/{payment_id}", response_model=s.PaymentOut, responses=_ALL)
def get_payment(payment_id: str, platform: PlatformDep, session: Session,
                who: TokenRequestor) -> s.PaymentOut:
    """One of the calling requestor's payments, with its current state."""
    runtime = tokens_runtime(platform)
    requestor = runtime.service.requestor_of(session, who)
    return _payment_out(session, runtime.payments.payment_for(session, who, payment_id, requestor=requestor))


@router.post("/v1/tokens/payments/{payment_id}/reversal", response_model=s.PaymentOut, status_code=202,
             responses=_ALL)
def reverse_payment(payment_id: str, platform: PlatformDep, uow: UoW, who: TokenRequestor) -> s.PaymentOut:
    """Reverse an approved payment in full (before any refund); the bank is told from the outbox."""
    runtime = tokens_runtime(platform)
    requestor = runtime.service.requestor_of(uow.session, who)
    payment = runtime.payments.payment_for(uow.session, who, payment_id, requestor=requestor)
    queued = runtime.payments.reverse(uow.session, who, payment)
    uow.after_commit(lambda: runtime.bank_outbox.submit(queued))
    return _payment_out(uow.session, payment)


@router.post("/v1/tokens/payments/{payment_id}/refunds", response_model=s.BankOperationOut, status_code=202,
             responses=_ALL)
def refund_payment(payment_id: str, body: s.RefundIn, platform: PlatformDep, uow: UoW,
                   who: TokenRequestor) -> s.BankOperationOut:
    """Refund part of an approved payment (in total at most its amount); the bank is told from the
    outbox, and the refund's id is its idempotency key there."""
    runtime = tokens_runtime(platform)
    requestor = runtime.service.requestor_of(uow.session, who)
    payment = runtime.payments.payment_for(uow.session, who, payment_id, requestor=requestor)
    operation = runtime.payments.refund(uow.session, who, payment, body.amount_fen)
    uow.after_commit(lambda: runtime.bank_outbox.submit([operation.id]))
    return _operation_out(operation)


# ---------------------------------------------------------------- wallet


def _wallet_account_out(account: Account, tokens: list[Token]) -> s.WalletAccountOut:
    return s.WalletAccountOut(id=account.id, bank_code=account.bank_code, account_last4=account.last4,
                              par=account.par, expires_on=account.expires_on, is_default=account.is_default,
                              tokens=[_token_out(t) for t in tokens])


@router.post("/v1/wallet/accounts", response_model=s.ProvisionOut, status_code=201, responses=_LIMITED,
             dependencies=_PROVISIONING)
def bind_account(body: s.BindIn, request: Request, platform: PlatformDep, uow: UoW,
                 who: Holder) -> s.ProvisionOut:
    """Bind a bank account to your wallet on this device: the bank confirms it, a token is provisioned."""
    runtime = tokens_runtime(platform)
    done = runtime.wallet.bind(uow.session, who, bank_code=body.bank_code, number=body.account_number,
                               expires_on=expiry_from(body.expiry_year, body.expiry_month),
                               device_id=body.device_id, ip=_client_ip(request))
    _send_webhooks_after_commit(uow, runtime)
    return _provision_out(done)


@router.get("/v1/wallet/accounts", response_model=Page[s.WalletAccountOut], responses={**_AUTH})
def wallet_accounts(platform: PlatformDep, session: Session, who: Holder,
                    pager: Paging) -> Page[s.WalletAccountOut]:
    """Your accounts from every bank, default first, each with its tokens."""
    accounts = [_wallet_account_out(item.account, list(item.tokens))
                for item in tokens_runtime(platform).wallet.accounts(session, who)]
    return pager.page_of(accounts, lambda a: (not a.is_default, a.id))


@router.post("/v1/wallet/accounts/{account_id}/default", response_model=s.WalletAccountOut,
             responses={**_AUTH, **_NOT_FOUND})
def set_default_account(account_id: str, platform: PlatformDep, session: Session,
                        who: Holder) -> s.WalletAccountOut:
    """Make this account your default for payments."""
    account = tokens_runtime(platform).wallet.set_default(session, who, account_id)
    return _wallet_account_out(account, list(repo.tokens_of_accounts(session, [account.id])))


@router.post("/v1/wallet/tokens/{token_id}/activate", response_model=s.TokenOut, responses=_ALL)
def activate_token(token_id: str, platform: PlatformDep, uow: UoW, who: Holder,
                   body: Annotated[s.ActivateIn | None, Body()] = None) -> s.TokenOut:
    """Activate a token waiting for step-up: with the one-time code the issuer sent you (``otp``) when
    the issuer asked for it, else sign in with OTP or voiceprint first (the token's ``acr``)."""
    runtime = tokens_runtime(platform)
    token, account = runtime.wallet.token_of_holder(uow.session, who, token_id)
    runtime.service.transition(uow.session, who, token, account, "activate",
                               otp=body.otp if body is not None else None)
    _send_webhooks_after_commit(uow, runtime)
    return _token_out(token)


@router.post("/v1/wallet/tokens/{token_id}/keys", response_model=s.KeyOut, status_code=201, responses=_ALL)
def replenish_wallet_key(token_id: str, platform: PlatformDep, session: Session, who: Holder) -> s.KeyOut:
    """Your token's next limited-use key for its device (the previous one stops working)."""
    runtime = tokens_runtime(platform)
    token, _account = runtime.wallet.token_of_holder(session, who, token_id)
    return _key_out(runtime.service.replenish_key(session, who, token))


@router.post("/v1/wallet/tokens/{token_id}/{action}", response_model=s.TokenOut, responses=_ALL)
def change_wallet_token(token_id: str, action: Literal["suspend", "resume", "delete"],
                        platform: PlatformDep, uow: UoW, who: Holder) -> s.TokenOut:
    """Suspend, resume or delete one of your tokens (a token suspended for a lost device resumes after
    your step-up: sign in with OTP or voiceprint first)."""
    runtime = tokens_runtime(platform)
    token, account = runtime.wallet.token_of_holder(uow.session, who, token_id)
    runtime.service.transition(uow.session, who, token, account, action)
    _send_webhooks_after_commit(uow, runtime)
    return _token_out(token)


@router.post("/v1/wallet/devices/{device_id}/suspend", response_model=s.DeviceSuspended,
             responses={**_AUTH, **_INVALID, 404: problem_schema("No such device in your wallet")})
def suspend_device(device_id: str, platform: PlatformDep, uow: UoW, who: Holder) -> s.DeviceSuspended:
    """A lost device: suspend every token of yours bound to it, in one action."""
    runtime = tokens_runtime(platform)
    tokens = runtime.wallet.suspend_device(uow.session, who, device_id)
    _send_webhooks_after_commit(uow, runtime)
    return s.DeviceSuspended(device_id=device_id, suspended=[t.id for t in tokens])


@router.post("/v1/wallet/payments", response_model=s.PaymentOut, responses=_PAYING, dependencies=_PAYMENTS)
def wallet_pay(body: s.PaymentIn, response: Response, platform: PlatformDep, uow: UoW,
               who: Holder) -> s.PaymentOut:
    """Pay with one of your tokens; a token of someone else's account is refused (ACCOUNT_MISMATCH).
    202 ``reversal_pending`` when the bank did not answer in time: poll the payment."""
    return _pay(tokens_runtime(platform), uow, who, body, response, holder=who.subject)


@router.get("/v1/wallet/payments/{payment_id}", response_model=s.PaymentOut,
            responses={**_AUTH, **_NOT_FOUND})
def wallet_payment(payment_id: str, platform: PlatformDep, session: Session, who: Holder) -> s.PaymentOut:
    """One of your payments, with its current state."""
    payments = tokens_runtime(platform).payments
    return _payment_out(session, payments.payment_for(session, who, payment_id, holder=who.subject))
