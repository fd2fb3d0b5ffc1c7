"""The ISO 8583 switch's message processing: one database transaction per message, exactly-once money.

For every money message the first statement inserts the exactly-once record keyed by
(acquirer, message class, STAN, RRN); a duplicate fails that insert and is answered with the stored
first response (or 94 when the "duplicate" carries different content). Decisions are made under the
card account's lock, the ledger is posted, the response is stored in the same row, and the response
is only returned once the transaction committed — so a crash before commit books nothing and the
acquirer, seeing no answer, sends a reversal that is acknowledged without booking.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import Clock, SystemClock
from bayfin.kernel.db import UnitOfWork
from bayfin.sscard.accounts import repository as accounts_repo
from bayfin.sscard.accounts.ledger import (
    AccountDirectory,
    Leg,
    lock_accounts,
    post,
    system_account_name,
)
from bayfin.sscard.domain import (
    CNY,
    CROSS_BORDER_REGIONS,
    CURRENCIES,
    PROCESSING_CODES,
    REGIONS,
    CardState,
    Conversion,
    Rc,
    TxnType,
    business_date,
    check_daily_limits,
    convert,
    encode_conversion_rate,
    state_response_code,
)
from bayfin.sscard.keys import KeyStore, KeyStoreError, keyed_digest
from bayfin.sscard.models import Card, DailyUsage, LedgerTxn, SwitchMessage
from bayfin.sscard.switch import card_security, holds, iso, validation
from bayfin.sscard.switch import repository as repo
from bayfin.sscard.switch.links import LinkSession

log = logging.getLogger(__name__)

_CLASSES = {"1": "authorization", "2": "financial", "4": "reversal", "8": "network"}
_ECHO = ("3", "4", "7", "11", "19", "32", "37", "41", "42", "49", "90", "95", "103")
Fault = Callable[[str], None]


class Decline(Exception):
    """Stop processing with a response code; nothing is booked."""

    def __init__(self, rc: Rc) -> None:
        super().__init__(rc.value)
        self.rc = rc


@dataclass
class Outcome:
    """The response code and response fields a message earned, and the transaction it booked."""

    rc: Rc
    fields: dict[str, str] = field(default_factory=dict)
    txn_id: int | None = None


class SwitchProcessor:
    """Turns one request frame into one response frame against the ledger (thread-safe; stateless)."""

    def __init__(self, session_factory: sessionmaker[Session] | Callable[[], Session], *,
                 pan_key: bytes, keys: KeyStore, clock: Clock | None = None,
                 accounts: AccountDirectory | None = None, fault: Fault | None = None) -> None:
        self._factory = session_factory
        self._pan_key = pan_key
        self.keys = keys
        self._clock = clock or SystemClock()
        self._accounts = accounts or AccountDirectory()
        #: Test hook called at named points inside the transaction (crash and failure injection).
        self.fault = fault
        # Rates and limits change at most daily; a short cache saves two queries per message.
        self._reference: dict[tuple[object, ...], tuple[float, object]] = {}
        self.reference_ttl_seconds = 30.0

    def _cached(self, key: tuple[object, ...], load: Callable[[], object]) -> object:
        now = time.monotonic()
        hit = self._reference.get(key)
        if hit is not None and now - hit[0] < self.reference_ttl_seconds:
            return hit[1]
        value = load()
        self._reference[key] = (now, value)
        return value

    # --- entry point -------------------------------------------------------------------------------
    def handle(self, raw: bytes, link: LinkSession) -> bytes:
        """Process one request from a link session and return the encoded response (every request
        gets one). Order: decode, validate every field, bind to the link's acquirer, sign-on, MAC —
        only then does the message reach the ledger."""
        try:
            fields = iso.decode(raw)
        except ValueError:
            mti = raw[:4].decode("ascii", "replace")
            return iso.encode({"t": iso.response_mti(mti), "39": Rc.format_error.value})
        mti = fields["t"]
        reply_mti = iso.response_mti(mti)
        rc = validation.check(fields)
        if rc is None and fields["32"] != link.acquirer_id:
            rc = Rc.not_permitted_acquirer
        if rc is not None:
            return self._reply(reply_mti, fields, Outcome(rc), link)
        if mti in validation.NETWORK_MTIS:
            return self._reply(reply_mti, fields, self._network(fields, link), link)
        if not link.signed_on:
            return self._reply(reply_mti, fields, Outcome(Rc.not_signed_on), link)
        covered = iso.split_mac(raw, fields)
        if covered is None or not self.keys.verify_mac(link.acquirer_id, *covered):
            return self._reply(reply_mti, fields, Outcome(Rc.security_violation), link)
        klass = _CLASSES[mti[1]]
        if mti[2] == "2" and klass != "reversal":  # 0120/0220: the completion of an authorization
            klass = "completion"
        try:
            return self._money(klass, reply_mti, fields, link)
        except Exception:
            # Rolled back: nothing was booked or recorded, so a retry is processed afresh.
            log.exception("switch message failed", extra={"mti": mti, "stan": fields.get("11")})
            return self._reply(reply_mti, fields, Outcome(Rc.system_malfunction), link)

    def _network(self, fields: dict[str, str], link: LinkSession) -> Outcome:
        code = fields["70"]
        if code == "001":
            link.signed_on = True
        elif code == "002":
            link.signed_on = False
        elif code == "161":
            if not link.signed_on:
                return Outcome(Rc.not_signed_on, {"70": code})
            try:
                delivery = self.keys.exchange_working_keys(link.acquirer_id)
            except KeyStoreError:
                log.error("no zone key for acquirer %s: key exchange refused", link.acquirer_id)
                return Outcome(Rc.security_violation, {"70": code})
            return Outcome(Rc.approved, {"70": code, "48": delivery.to_field()})
        return Outcome(Rc.approved, {"70": code})

    def _reply(self, mti: str, request: dict[str, str], outcome: Outcome, link: LinkSession) -> bytes:
        out = {"t": mti, **{k: request[k] for k in _ECHO if k in request}, **outcome.fields,
               "39": outcome.rc.value}
        if "2" in request and request["2"].isdigit() and len(request["2"]) <= 19:
            out["2"] = request["2"]
        if mti[1] != "8" and self.keys.has_working_keys(link.acquirer_id):
            try:
                raw = iso.encode_for_mac(out)
            except ValueError:
                return iso.encode({"t": mti, "39": outcome.rc.value})
            return raw[:-iso.MAC_LENGTH] + self.keys.generate_mac(link.acquirer_id,
                                                                    raw[:-iso.MAC_LENGTH])
        try:
            return iso.encode(out)
        except ValueError:  # an echoed field was itself malformed: answer with the bare code
            return iso.encode({"t": mti, "39": outcome.rc.value})

    def _fingerprint(self, klass: str, fields: dict[str, str]) -> str:
        material = "|".join([klass, fields["2"], fields["3"], fields["4"], fields["49"],
                             fields.get("103", ""), fields.get("90", "")]
                            + ([fields["95"]] if "95" in fields else []))
        return hmac.new(self._pan_key, material.encode(), hashlib.sha256).hexdigest()

    def _key(self, klass: str, fields: dict[str, str]) -> tuple[str, str, str, str]:
        # A reversal is keyed by the STAN of the message it reverses (field 90), so it meets the
        # original's record and leaves a trace an original arriving late will find.
        stan = fields["11"]
        if klass == "reversal" and len(fields.get("90", "")) >= 10 and fields["90"][4:10].isdigit():
            stan = fields["90"][4:10]
        return fields["32"], klass, stan, fields["37"]

    # --- exactly-once wrapper ----------------------------------------------------------------------
    def _money(self, klass: str, reply_mti: str, fields: dict[str, str], link: LinkSession) -> bytes:
        acquirer, message_class, stan, rrn = self._key(klass, fields)
        fingerprint = self._fingerprint(klass, fields)
        now = self._clock.now()
        with UnitOfWork(self._factory) as uow:
            session = uow.session
            record = SwitchMessage(acquirer_id=acquirer, message_class=message_class, stan=stan,
                                   rrn=rrn, request_mti=fields["t"], fingerprint=fingerprint,
                                   response_code=Rc.system_malfunction.value, response_fields={},
                                   reversed=False, received_at=now)
            repo.add(session, record)
            try:
                repo.flush(session)
            except IntegrityError:
                uow.rollback()
                return self._replay(reply_mti, fields, (acquirer, message_class, stan, rrn), fingerprint,
                                    link)
            try:
                if klass == "reversal":
                    outcome = self._reverse(session, fields, acquirer, stan, rrn, now)
                elif klass == "completion":
                    outcome = self._complete(session, fields, link, now)
                else:
                    outcome = self._book(session, klass, fields, link, now)
            except Decline as decline:
                outcome = Outcome(decline.rc)
            if outcome.rc is not Rc.approved and session.new:
                raise RuntimeError("a declined message must not leave pending writes")
            if klass in ("reversal", "completion") and outcome.rc is not Rc.approved:
                # A refused reversal or completion must not occupy the key (the acquirer retries or
                # corrects it), and a completion's released hold must not stay released.
                uow.rollback()
                return self._reply(reply_mti, fields, outcome, link)
            record.response_code, record.response_fields = outcome.rc.value, outcome.fields
            record.txn_id = outcome.txn_id
            repo.flush(session)
            if self.fault:
                self.fault("before_commit")
            uow.commit()
        return self._reply(reply_mti, fields, outcome, link)

    def _replay(self, reply_mti: str, fields: dict[str, str], key: tuple[str, str, str, str],
                fingerprint: str, link: LinkSession) -> bytes:
        acquirer, message_class, stan, rrn = key
        with self._factory() as session:
            first = repo.message_by_key(session, acquirer, message_class, stan, rrn)
        if first is None:  # the first copy rolled back meanwhile: let the acquirer retry
            return self._reply(reply_mti, fields, Outcome(Rc.system_malfunction), link)
        if first.fingerprint != fingerprint:
            return self._reply(reply_mti, fields, Outcome(Rc.duplicate), link)
        return self._reply(reply_mti, fields, Outcome(Rc(first.response_code),
                                                      dict(first.response_fields)), link)

    # --- authorizations and financial messages -----------------------------------------------------
    def _card(self, session: Session, pan: str) -> Card:
        card = accounts_repo.card_by_pan_digest(session, keyed_digest(self._pan_key, pan))
        if card is None:
            raise Decline(Rc.invalid_card)
        return card

    def _complete(self, session: Session, fields: dict[str, str], link: LinkSession,
                  now: datetime) -> Outcome:
        """0120/0220: release the authorization's hold and book the final amount (at most the
        authorized one, same currency) as a purchase, in this one transaction."""
        card = self._card(session, fields["2"])
        lock_accounts(session, [card.account_id])
        original = repo.approved_message(session, link.acquirer_id, ["authorization"], fields["90"][4:10],
                                         fields["37"])
        txn = accounts_repo.ledger_txn(session, original.txn_id) if original and original.txn_id else None
        if original is None or original.reversed or txn is None or txn.card_id != card.id:
            raise Decline(Rc.invalid_transaction)  # no open hold to complete
        if int(fields["4"]) > txn.amount_minor or int(fields["49"]) != txn.currency:
            raise Decline(Rc.invalid_amount)
        released = holds.undo(session, original, txn, now)
        if isinstance(released, Rc):
            raise Decline(released)
        return self._book(session, "financial", fields, link, now, card_present=False)

    def _book(self, session: Session, klass: str, fields: dict[str, str], link: LinkSession,
              now: datetime, *, card_present: bool = True) -> Outcome:
        acquirer = link.acquirer_id
        pcode = fields["3"][:2]
        txn_type = PROCESSING_CODES.get(pcode)
        if txn_type is None or (klass == "authorization"
                                and txn_type in (TxnType.transfer, TxnType.refund)):
            raise Decline(Rc.invalid_transaction)
        region = REGIONS.get(int(fields["19"]))
        currency = int(fields["49"])
        if region is None or currency not in CURRENCIES:
            raise Decline(Rc.format_error)
        card = self._card(session, fields["2"])
        dest: Card | None = None
        if txn_type is TxnType.transfer:
            if "103" not in fields:
                raise Decline(Rc.format_error)
            dest = self._card(session, fields["103"])
            if dest.state != CardState.active or dest.account_id == card.account_id:
                raise Decline(Rc.invalid_card)
        # Lock every holder account involved (ascending ids) before reading anything we decide on.
        balances = lock_accounts(session, [card.account_id] + ([dest.account_id] if dest else []))
        blocked = state_response_code(CardState(card.state))
        if blocked is not None:
            raise Decline(blocked)
        if card_present and "52" in fields:  # the try count as of now, under the account's lock
            repo.refresh(session, card, ["pin_failures"])
        # A refund credits the card: it must be the card (expiry), but no PIN is asked for.
        verdict = card_security.check_card(card, fields, link.acquirer_id, self.keys, now,
                                           pin_required=txn_type is not TxnType.refund)
        if card_present:  # a completion's card was checked by its 0100
            card_security.record_pin_result(session, card, verdict, fields)
            if verdict is not None:
                raise Decline(verdict)
        if self._reversed_already(session, acquirer, fields):
            raise Decline(Rc.invalid_transaction)
        balance = balances[card.account_id]
        if txn_type is TxnType.balance_inquiry:
            return Outcome(Rc.approved, {"54": iso.format_balance(balance, CNY)})
        amount = int(fields["4"])
        if amount <= 0:
            raise Decline(Rc.invalid_amount)
        day = business_date(now)
        try:
            mid, spread = cast(tuple[Decimal, Decimal], self._cached(
                ("rate", day, currency), lambda: accounts_repo.fx_rate(session, day, currency, CNY))
                ) if currency != CNY else (Decimal(1), Decimal(0))
        except LookupError as exc:
            raise Decline(Rc.system_malfunction) from exc
        conv = convert(amount, currency, CNY, mid, spread)
        if txn_type is TxnType.refund:
            return self._refund(session, fields, card, region, conv, balance, now)
        if conv.billing_minor > balance:
            raise Decline(Rc.insufficient_funds)
        cross_border = region in CROSS_BORDER_REGIONS
        # Holds count against the authorization limit; a reversal gives back what its kind used.
        kind = TxnType.authorization.value if klass == "authorization" else txn_type.value
        if cross_border:
            self._use_limit(session, card, day, kind, conv.billing_minor)
        txn = LedgerTxn(kind=kind,
                        business_date=day, created_at=now, card_id=card.id, bank_id=card.bank_id,
                        region=region, cross_border=cross_border, amount_minor=amount, currency=currency,
                        billing_minor=conv.billing_minor, billing_currency=CNY,
                        spread_minor=conv.spread_minor, applied_rate=str(conv.applied_rate))
        post(session, txn, self._legs(session, klass, txn_type, card, dest, conv))
        if self.fault:
            self.fault("after_posting")
        out = {"38": f"{txn.id % 1_000_000:06d}", "6": f"{conv.billing_minor:012d}", "51": f"{CNY:03d}",
               "10": encode_conversion_rate(conv.applied_rate),
               "54": iso.format_balance(balance - conv.billing_minor, CNY)}
        return Outcome(Rc.approved, out, txn.id)

    def _refund(self, session: Session, fields: dict[str, str], card: Card, region: str,
                conv: Conversion, balance: int, now: datetime) -> Outcome:
        """Processing code 20: the acquirer pays the amount back to the card from the issuing bank's
        settlement position, converted at the middle rate (no spread on money given back)."""
        def acct(kind: str, currency: int, bank_id: str | None = None) -> int:
            return self._accounts.id_of(session, system_account_name(kind, currency, bank_id))

        payer = acct("settlement", conv.currency, card.bank_id)
        if conv.currency == CNY:
            legs = [Leg(payer, card.account_id, CNY, conv.amount_minor)]
        else:
            legs = [Leg(payer, acct("fx_position", conv.currency), conv.currency, conv.amount_minor),
                    Leg(acct("fx_position", CNY), card.account_id, CNY, conv.at_mid_minor)]
        credited = legs[-1].amount_minor
        txn = LedgerTxn(kind=TxnType.refund.value, business_date=business_date(now), created_at=now,
                        card_id=card.id, bank_id=card.bank_id, region=region,
                        cross_border=region in CROSS_BORDER_REGIONS, amount_minor=conv.amount_minor,
                        currency=conv.currency, billing_minor=credited, billing_currency=CNY,
                        spread_minor=0, applied_rate=str(conv.mid_rate))
        post(session, txn, legs)
        out = {"38": f"{txn.id % 1_000_000:06d}", "6": f"{credited:012d}", "51": f"{CNY:03d}",
               "10": encode_conversion_rate(conv.mid_rate), "54": iso.format_balance(balance + credited, CNY)}
        return Outcome(Rc.approved, out, txn.id)

    def _legs(self, session: Session, klass: str, txn_type: TxnType, card: Card, dest: Card | None,
              conv: Conversion) -> list[Leg]:
        def acct(kind: str, currency: int, bank_id: str | None = None) -> int:
            return self._accounts.id_of(session, system_account_name(kind, currency, bank_id))

        # The holder pays the middle-rate value plus the visible spread, which the bank keeps.
        spread = Leg(card.account_id, acct("fx_revenue", CNY), CNY, conv.spread_minor)
        if dest is not None:  # transfer: the payee receives the middle-rate value in CNY
            return [Leg(card.account_id, dest.account_id, CNY, conv.at_mid_minor), spread]
        if klass == "authorization":  # a hold, released by its reversal
            return [Leg(card.account_id, acct("holds", CNY, card.bank_id), CNY, conv.at_mid_minor),
                    spread]
        payee = acct("settlement", conv.currency, card.bank_id)
        if conv.currency == CNY:
            return [Leg(card.account_id, payee, CNY, conv.amount_minor)]
        # Cross-currency: CNY into the FX position, the foreign amount out of it to the acquirer.
        return [Leg(card.account_id, acct("fx_position", CNY), CNY, conv.at_mid_minor), spread,
                Leg(acct("fx_position", conv.currency), payee, conv.currency, conv.amount_minor)]

    def _use_limit(self, session: Session, card: Card, day: date, txn_type: str, amount: int) -> None:
        usage = accounts_repo.usage_today(session, card.id, day)
        used_total = sum(u.used_minor for u in usage.values())
        row = usage.get(txn_type)
        verdict = check_daily_limits(amount_minor=amount, used_card_total=used_total,
                                     card_limit=card.daily_limit_minor,
                                     used_type_total=row.used_minor if row else 0,
                                     type_limit=cast(int | None, self._cached(
                                         ("limit", txn_type),
                                         lambda: accounts_repo.type_limit(session, txn_type))))
        if not verdict.allowed:
            raise Decline(Rc.exceeds_limit)
        if row is None:
            repo.add(session, DailyUsage(card_id=card.id, business_date=day, txn_type=txn_type,
                                         used_minor=amount))
        else:
            row.used_minor += amount

    def _reversed_already(self, session: Session, acquirer: str, fields: dict[str, str]) -> bool:
        """True when a reversal for this message arrived first (the acquirer timed out and gave up)."""
        return repo.reversal_recorded(session, acquirer, fields["11"], fields["37"])

    # --- reversals ---------------------------------------------------------------------------------
    def _reverse(self, session: Session, fields: dict[str, str], acquirer: str, stan: str, rrn: str,
                 now: datetime) -> Outcome:
        card = accounts_repo.card_by_pan_digest(session, keyed_digest(self._pan_key, fields["2"]))
        if card is None:
            return Outcome(Rc.approved)  # never booked: acknowledged, nothing to undo
        # Same lock the original takes, so a reversal racing its original sees it committed or not.
        lock_accounts(session, [card.account_id])
        original_mti = fields["90"][:4]  # validated: 0100, 0200, 0120 or 0220
        classes = ["completion"] if original_mti[2] == "2" else [_CLASSES[original_mti[1]]]
        original = repo.approved_message(session, acquirer, classes, stan, rrn)
        if original is None or original.reversed or original.txn_id is None:
            return Outcome(Rc.approved)
        txn = accounts_repo.ledger_txn(session, original.txn_id)
        assert txn is not None
        if txn.card_id != card.id:
            return Outcome(Rc.approved)
        if int(fields["4"]) != txn.amount_minor:
            raise Decline(Rc.invalid_amount)
        # A partial reversal (field 95) gives back what was not dispensed: F4 minus the actual amount.
        actual = validation.parse_replacement(fields["95"]) if "95" in fields else 0
        portion = (txn.amount_minor - (actual or 0), txn.amount_minor)
        mirror = holds.undo(session, original, txn, now, portion, self.fault)
        if isinstance(mirror, Rc):
            raise Decline(mirror)
        return Outcome(Rc.approved, {"38": f"{mirror.id % 1_000_000:06d}"}, mirror.id)
