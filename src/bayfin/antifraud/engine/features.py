"""Per-event features: one pure definition used online (decisions) and offline (learning, backtests).

``compute_features(event, states)`` reads the entity states as they were *before* the event, returns
the flat feature mapping the rules see (the event itself counts in its own windows), and folds the
event into the states. States are plain JSON-shaped dicts, so any store (memory, Redis) that hands
back what it was given yields the same features and so the same decisions.

Windows: the last 24 hours are kept event by event (exact 5-minute, 1-hour and 24-hour windows); 7 and
30 days are kept as daily totals (calendar days in China Standard Time). Distinct-value maps keep the
first and last time each value was seen, for 30 days. Per-entity lists are capped (see ``RECENT_CAP``,
``DISTINCT_CAP``) so that a busy merchant or IP address cannot grow without bound: past the cap the
oldest entries are forgotten first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from bayfin.antifraud.engine.catalogue import Catalogue, load_catalogue
from bayfin.antifraud.engine.events import FraudEvent
from bayfin.antifraud.engine.geo import haversine_km

State = dict[str, Any]
RECENT_CAP = 1000
DISTINCT_CAP = 200
DAY = 86_400
CST_OFFSET = 8 * 3600  # China Standard Time: hours and days are local to the bank's customers
KEEP = 30 * DAY
SMALL_FEN = 1_000  # 10 yuan: card testers probe with small amounts
HIGH_RISK_MCC = frozenset({"7995", "6051", "4829", "5816", "6211", "6540", "7801", "7802", "5967"})
FAIL_TYPES = frozenset({"login_failed", "otp_failed", "face_verify_failed", "atm_pin_failed"})
LOGIN_TYPES = frozenset({"login_password", "login_biometric", "login_sms_otp", "login_qr"})
SECURITY_OPS = frozenset({"password_change", "password_reset", "phone_change", "device_bind",
                          "daily_limit_raise", "single_limit_raise", "beneficiary_add",
                          "sms_alert_off", "pin_reset", "trusted_device_reset"})
#: Sub-types whose last time is remembered per customer, with the feature that reports it.
TRACKED_OPS = {
    "password_change": "minutes_since_password_change", "password_reset": "minutes_since_password_change",
    "phone_change": "minutes_since_phone_change", "device_bind": "minutes_since_device_bind",
    "trusted_device_reset": "minutes_since_device_bind",
    "daily_limit_raise": "minutes_since_limit_raise", "single_limit_raise": "minutes_since_limit_raise",
    "card_limit_raise": "minutes_since_limit_raise", "atm_limit_raise": "minutes_since_limit_raise",
    "contactless_limit_raise": "minutes_since_limit_raise",
    "beneficiary_add": "minutes_since_beneficiary_add",
    "payee_whitelist_add": "minutes_since_beneficiary_add",
    "sms_alert_off": "minutes_since_sms_alert_off", "pin_reset": "minutes_since_pin_reset",
    "pin_change": "minutes_since_pin_reset", "cross_border_enable": "minutes_since_cross_border_enable",
    "cnp_enable": "minutes_since_cnp_enable", "card_report_lost": "minutes_since_card_report_lost",
    "card_replace": "minutes_since_card_report_lost", "email_change": "minutes_since_phone_change",
    "login_password": "minutes_since_login", "login_biometric": "minutes_since_login",
    "login_sms_otp": "minutes_since_login", "login_qr": "minutes_since_login",
    "remote_assistance_session": "minutes_since_remote_assistance",
}
# flags of an entry in a 24-hour list
OUT, IN, SMALL, CASH, FAIL, TRANSFER, CARD = 1, 2, 4, 8, 16, 32, 64

#: Every feature the rules may name, with the value it takes for a first event from a new customer
#: with no device, network, location or behaviour data. ``None`` means "unknown": a rule comparison
#: on an unknown value is false.
FEATURE_DEFAULTS: dict[str, Any] = {
    # the event itself
    "amount_fen": 0, "amount_yuan": 0, "channel": "mobile", "type": "mobile.transfer.intra_bank",
    "business": "transfer", "sub_type": "intra_bank", "flow": "out", "is_outflow": False,
    "sensitive_op": False, "foreign_currency": False, "hour": 12, "night": False, "weekday": 2,
    "has_device": False, "device_rooted": False, "device_emulator": False,
    "has_network": False, "proxy": False, "vpn": False, "datacentre_ip": False, "anonymous_ip": False,
    "ip_foreign": False, "sim_age_hours": None, "gps_ip_km": None,
    "has_beneficiary": False, "beneficiary_other_bank": False,
    "session_seconds": None, "login_to_txn_seconds": None, "typing_cadence_ms": None,
    "pasted_beneficiary": False, "on_call": False, "screen_sharing": False,
    "op_count": 0, "ops_touch_security": False,
    "has_card": False, "card_present": False, "card_cnp": False, "three_ds": False, "mcc": "",
    "high_risk_mcc": False, "merchant_foreign": False,
    # the customer
    "cust_known": False, "cust_age_days": 0, "cust_event_count": 0,
    "cust_out_count_5m": 0, "cust_out_count_1h": 0, "cust_out_count_24h": 0,
    "cust_out_sum_1h_yuan": 0, "cust_out_sum_24h_yuan": 0, "cust_out_count_7d": 0,
    "cust_out_sum_7d_yuan": 0, "cust_out_sum_30d_yuan": 0, "cust_small_count_1h": 0,
    "cust_cash_count_24h": 0, "cust_cash_sum_24h_yuan": 0, "cust_transfer_count_1h": 0,
    "cust_card_count_1h": 0, "cust_login_fail_1h": 0, "cust_login_fail_24h": 0,
    "cust_new_device": False, "cust_new_beneficiary": False, "cust_new_city": False,
    "cust_new_channel": False, "cust_new_ip": False,
    "cust_devices_24h": 0, "cust_devices_30d": 0, "cust_beneficiaries_24h": 0,
    "cust_new_beneficiaries_24h": 0, "cust_ips_24h": 0, "cust_cities_24h": 0,
    "minutes_since_last": None, "km_from_last": None, "speed_kmh": None, "impossible_travel": False,
    "cust_avg_amount_yuan": None, "cust_max_amount_yuan": None, "amount_to_avg_ratio": None,
    "amount_to_max_ratio": None, "amount_zscore": None, "hour_share": None, "unusual_hour": False,
    "channel_share": None, "ben_paid_before_count": 0, "cust_device_age_minutes": None,
    **{name: None for name in sorted(set(TRACKED_OPS.values()))},
    # device, IP, beneficiary, own account, card, merchant
    "dev_known": False, "dev_customers_24h": 0, "dev_customers_30d": 0, "dev_out_count_1h": 0,
    "ip_customers_24h": 0, "ip_out_count_1h": 0, "ip_cards_1h": 0, "ip_login_fail_1h": 0,
    "ben_known": False, "ben_age_days": 0, "ben_in_count_24h": 0, "ben_in_sum_24h_yuan": 0,
    "ben_payers_24h": 0, "ben_payers_7d": 0, "ben_new_payers_24h": 0,
    "acct_in_count_24h": 0, "acct_in_sum_24h_yuan": 0, "acct_in_payers_24h": 0,
    "acct_out_sum_24h_yuan": 0, "passthrough_ratio": None, "minutes_since_last_credit": None,
    "acct_age_days": 0,
    "card_count_1h": 0, "card_small_count_1h": 0, "card_merchants_1h": 0, "card_countries_24h": 0,
    "card_new_merchant": False, "mer_cards_1h": 0, "mer_small_count_1h": 0, "mer_cards_24h": 0,
}
NULLABLE = frozenset(name for name, value in FEATURE_DEFAULTS.items() if value is None)


def entity_keys(event: FraudEvent) -> dict[str, str]:
    """The state keys an event reads and writes, by role."""
    keys = {"cust": "c:" + event.customer_id, "acct": "a:" + event.account_id}
    if event.device is not None:
        keys["dev"] = "d:" + event.device.fingerprint
    if event.network is not None:
        keys["ip"] = "i:" + event.network.ip
    if event.beneficiary is not None:
        keys["ben"] = f"b:{event.beneficiary.bank_code}:{event.beneficiary.account}"
    if event.card is not None:
        keys["card"] = "k:" + event.card.pan_hash
        if event.card.merchant_id:
            keys["mer"] = "m:" + event.card.merchant_id
    return keys


def pack_features(features: Mapping[str, Any]) -> dict[str, Any]:
    """The features that differ from their defaults (value or type): what must be kept to rebuild them."""
    default = FEATURE_DEFAULTS.get
    missing = object()
    packed = {}
    for name, value in features.items():
        base = default(name, missing)
        if base is missing or type(value) is not type(base) or value != base:
            packed[name] = value
    return packed


def unpack_features(packed: Mapping[str, Any]) -> dict[str, Any]:
    """The full feature mapping again from :func:`pack_features`' output."""
    features = dict(FEATURE_DEFAULTS)
    features.update(packed)
    return features


def _new_state(ts: int) -> State:
    return {"f": ts, "l": ts, "n": 0, "r": [], "d": {}, "s": {}}


def _window(recent: list[list[int]], now: int, span: int, mask: int) -> tuple[int, int]:
    count = total = 0
    cutoff = now - span
    for ts, amount, flags in reversed(recent):
        if ts <= cutoff:
            break
        if flags & mask:
            count += 1
            total += amount
    return count, total


def _distinct(state: State, name: str, now: int, span: int, *, by_first: bool = False) -> int:
    """How many values were seen within ``span`` (or, with ``by_first``, first seen within it)."""
    seen = state["s"].get(name)
    if not seen:
        return 0
    cutoff = now - span
    at = 0 if by_first else 1
    return sum(1 for times in seen.values() if times[at] > cutoff)


def _remember(state: State, name: str, value: str, now: int) -> None:
    seen = state["s"].setdefault(name, {})
    entry = seen.get(value)
    if entry is None:
        seen[value] = [now, now]
        if len(seen) > DISTINCT_CAP:
            cutoff = now - KEEP
            for key in [k for k, (_f, last) in seen.items() if last <= cutoff]:
                del seen[key]
            if len(seen) > DISTINCT_CAP:
                del seen[min(seen, key=lambda k: seen[k][1])]
    else:
        entry[1] = max(entry[1], now)


def _known(state: State | None, name: str, value: str, now: int) -> bool:
    if state is None:
        return False
    entry = state["s"].get(name, {}).get(value)
    return entry is not None and entry[1] > now - KEEP


def _record(state: State, now: int, amount: int, flags: int, out: bool) -> None:
    recent = state["r"]
    recent.append([now, amount, flags])
    cutoff = now - DAY
    drop = 0
    while drop < len(recent) and recent[drop][0] <= cutoff:
        drop += 1
    if drop or len(recent) > RECENT_CAP:
        del recent[:max(drop, len(recent) - RECENT_CAP)]
    if out:
        day = str((now + CST_OFFSET) // DAY)
        daily = state["d"]
        totals = daily.get(day)
        if totals is None:
            daily[day] = [1, amount]
            oldest = (now + CST_OFFSET) // DAY - 30
            for key in [k for k in daily if int(k) <= oldest]:
                del daily[key]
        else:
            totals[0] += 1
            totals[1] += amount
    state["l"] = max(state["l"], now)
    state["n"] += 1


def _days(state: State | None, now: int, days: int) -> tuple[int, int]:
    if state is None:
        return 0, 0
    first_day = (now + CST_OFFSET) // DAY - days + 1
    count = total = 0
    for day, (c, s) in state["d"].items():
        if int(day) >= first_day:
            count += c
            total += s
    return count, total


def _minutes(now: int, then: int | None) -> int | None:
    return None if then is None else max(0, (now - then) // 60)


class StateAccess(Protocol):
    """What the feature code needs of a state store (see :mod:`bayfin.antifraud.engine.state`)."""

    def load(self, keys: Sequence[str]) -> list[State | None]: ...

    def save(self, states: dict[str, State]) -> None: ...


class FeatureComputer:
    """Computes features for events against entity states; the same object serves every store.

    Online, the engine calls :meth:`process` per event; offline (training, backtests), iterate
    :meth:`stream` over history in time order: the same code, so no training/serving skew."""

    def process(self, event: FraudEvent, store: StateAccess,
                institution_id: str | None = None) -> dict[str, Any]:
        """Load the event's entity states from ``store``, compute its features, save the states back.

        A store shared between workers may offer ``atomic(keys, step, once=...)``: it then runs the
        step as one optimistic transaction (retried if another worker changed one of the states
        meanwhile) and remembers the event by its id, with its features kept compactly, so that an
        event delivered again to another worker gets the same features and is not counted twice. An
        event id is unique per institution (``institution_id``), so another bank's event under the
        same id is counted as the new event it is."""
        keys = entity_keys(event)
        roles = list(keys)

        def step(loaded: list[State | None]) -> tuple[dict[str, Any], dict[str, State]]:
            states: dict[str, State | None] = dict(zip(roles, loaded, strict=True))
            features = self.compute(event, states)
            return features, {keys[r]: states[r] for r in roles if states[r] is not None}  # type: ignore[misc]

        atomic = getattr(store, "atomic", None)
        if atomic is not None:
            def packed_step(loaded: list[State | None]) -> tuple[dict[str, Any], dict[str, State]]:
                features, updated = step(loaded)
                return pack_features(features), updated

            once = f"x:{institution_id}:{event.event_id}" if institution_id else "x:" + event.event_id
            return unpack_features(atomic([keys[r] for r in roles], packed_step, once=once))
        features, updated = step(store.load([keys[r] for r in roles]))
        store.save(updated)
        return features

    def stream(self, events: Iterable[FraudEvent], store: StateAccess) -> Iterator[dict[str, Any]]:
        """Features of each event of a time-ordered stream, as the engine would have computed them."""
        for event in events:
            yield self.process(event, store)

    def __init__(self, catalogue: Catalogue | None = None, own_bank_code: str = "BOC") -> None:
        self.catalogue = catalogue or load_catalogue()
        self.own_bank_code = own_bank_code

    def compute(self, event: FraudEvent, states: dict[str, State | None]) -> dict[str, Any]:
        """Features of ``event`` given the states keyed by role (``entity_keys``), which it updates in
        place (absent roles get a fresh state). Returns the features."""
        ttype = self.catalogue.types[event.type]
        now = int(event.occurred_at.timestamp())
        amount = event.amount_fen
        local = now + CST_OFFSET
        hour = (local // 3600) % 24
        out = ttype.flow == "out" and amount > 0
        inflow = ttype.flow == "in" and amount > 0
        flags = (OUT if out else 0) | (IN if inflow else 0)
        if out and amount <= SMALL_FEN:
            flags |= SMALL
        if out and ttype.business == "cash":
            flags |= CASH
        if ttype.sub_type in FAIL_TYPES:
            flags |= FAIL
        if out and ttype.business == "transfer":
            flags |= TRANSFER
        if out and ttype.business == "card":
            flags |= CARD
        f = dict(FEATURE_DEFAULTS)
        f.update(amount_fen=amount, amount_yuan=amount // 100, channel=event.channel, type=event.type,
                 business=ttype.business, sub_type=ttype.sub_type, flow=ttype.flow, is_outflow=out,
                 sensitive_op=ttype.sensitive, foreign_currency=event.currency != "CNY", hour=hour,
                 night=hour < 6, weekday=(local // DAY + 3) % 7)
        self._event_fields(event, f)
        for role in ("cust", "acct", "dev", "ip", "ben", "card", "mer"):
            if role in states and states[role] is None:
                states[role] = _new_state(now)
        cust = states["cust"]
        assert cust is not None
        self._customer(event, ttype.sub_type, cust, now, amount, flags, f)
        self._others(event, states, now, amount, flags, f)
        return f

    def _event_fields(self, event: FraudEvent, f: dict[str, Any]) -> None:
        if event.device is not None:
            f.update(has_device=True, device_rooted=event.device.rooted,
                     device_emulator=event.device.emulator)
        if event.network is not None:
            n = event.network
            f.update(has_network=True, proxy=n.proxy, vpn=n.vpn, datacentre_ip=n.datacentre,
                     anonymous_ip=n.proxy or n.vpn or n.datacentre, ip_foreign=n.ip_country != "CN",
                     sim_age_hours=n.sim_age_hours)
        loc = event.location
        if loc is not None and loc.gps is not None and loc.ip_geo is not None:
            f["gps_ip_km"] = round(haversine_km(loc.gps.lat, loc.gps.lon, loc.ip_geo.lat, loc.ip_geo.lon), 1)
        if event.beneficiary is not None:
            f.update(has_beneficiary=True,
                     beneficiary_other_bank=event.beneficiary.bank_code != self.own_bank_code)
        b = event.behaviour
        if b is not None:
            f.update(session_seconds=b.session_seconds, login_to_txn_seconds=b.login_to_transaction_seconds,
                     typing_cadence_ms=b.typing_cadence_ms, pasted_beneficiary=b.pasted_beneficiary,
                     on_call=b.on_call, screen_sharing=b.screen_sharing, op_count=len(b.operation_sequence),
                     ops_touch_security=any(op in SECURITY_OPS for op in b.operation_sequence))
        c = event.card
        if c is not None:
            f.update(has_card=True, card_present=c.present, card_cnp=not c.present, three_ds=c.three_ds,
                     mcc=c.mcc or "", high_risk_mcc=(c.mcc or "") in HIGH_RISK_MCC,
                     merchant_foreign=c.merchant_country != "CN")

    def _customer(self, event: FraudEvent, sub_type: str, cust: State, now: int, amount: int,
                  flags: int, f: dict[str, Any]) -> None:
        known = cust["n"] > 0
        f.update(cust_known=known, cust_age_days=(now - cust["f"]) // DAY, cust_event_count=cust["n"])
        # one backward pass over the last 24 hours, the current event included
        o5 = o1 = o24 = s1 = s24 = sm1 = c24 = cs24 = t1 = k1 = fl1 = fl24 = 0
        for ts, amt, fl in reversed(cust["r"]):
            age = now - ts
            if age >= DAY:
                break
            if fl & OUT:
                o24 += 1
                s24 += amt
                if age < 3600:
                    o1 += 1
                    s1 += amt
                    if age < 300:
                        o5 += 1
                    if fl & SMALL:
                        sm1 += 1
                    if fl & TRANSFER:
                        t1 += 1
                    if fl & CARD:
                        k1 += 1
                if fl & CASH:
                    c24 += 1
                    cs24 += amt
            if fl & FAIL:
                fl24 += 1
                if age < 3600:
                    fl1 += 1
        out = bool(flags & OUT)
        if out:
            o5, o1, o24, s1, s24 = o5 + 1, o1 + 1, o24 + 1, s1 + amount, s24 + amount
            sm1 += bool(flags & SMALL)
            t1 += bool(flags & TRANSFER)
            k1 += bool(flags & CARD)
            if flags & CASH:
                c24, cs24 = c24 + 1, cs24 + amount
        if flags & FAIL:
            fl1, fl24 = fl1 + 1, fl24 + 1
        c7, s7 = _days(cust, now, 7)
        _c30, s30 = _days(cust, now, 30)
        f.update(cust_out_count_5m=o5, cust_out_count_1h=o1, cust_out_count_24h=o24,
                 cust_out_sum_1h_yuan=s1 // 100, cust_out_sum_24h_yuan=s24 // 100,
                 cust_out_count_7d=c7 + out, cust_out_sum_7d_yuan=(s7 + amount * out) // 100,
                 cust_out_sum_30d_yuan=(s30 + amount * out) // 100, cust_small_count_1h=sm1,
                 cust_cash_count_24h=c24, cust_cash_sum_24h_yuan=cs24 // 100, cust_transfer_count_1h=t1,
                 cust_card_count_1h=k1, cust_login_fail_1h=fl1, cust_login_fail_24h=fl24)
        # first-seen flags, then remember this event's values
        loc = event.location
        point = None if loc is None else (loc.gps or loc.ip_geo)
        city = None
        if loc is not None:
            city = (loc.gps.city if loc.gps is not None else None) or (
                loc.ip_geo.city if loc.ip_geo is not None else None)
        values: dict[str, str] = {"chan": event.channel}
        if event.device is not None:
            values["dev"] = event.device.fingerprint
        if event.beneficiary is not None and out:
            values["ben"] = f"{event.beneficiary.bank_code}:{event.beneficiary.account}"
        if city:
            values["city"] = city
        if event.network is not None:
            values["ip"] = event.network.ip
        if known:
            f.update(cust_new_device="dev" in values and not _known(cust, "dev", values["dev"], now),
                     cust_new_beneficiary="ben" in values and not _known(cust, "ben", values["ben"], now),
                     cust_new_city="city" in values and not _known(cust, "city", values["city"], now),
                     cust_new_channel=not _known(cust, "chan", event.channel, now),
                     cust_new_ip="ip" in values and not _known(cust, "ip", values["ip"], now))
        else:
            f.update(cust_new_device="dev" in values, cust_new_beneficiary="ben" in values,
                     cust_new_city="city" in values, cust_new_channel=True, cust_new_ip="ip" in values)
        if "ben" in values:
            known_ben = _known(cust, "ben", values["ben"], now)
            f["ben_paid_before_count"] = cust.get("bc", {}).get(values["ben"], 0) if known_ben else 0
        if "dev" in values:
            entry = cust["s"].get("dev", {}).get(values["dev"])
            f["cust_device_age_minutes"] = 0 if entry is None else (now - entry[0]) // 60
        for name, value in values.items():
            _remember(cust, name, value, now)
        if "ben" in values:
            counts = cust.setdefault("bc", {})
            counts[values["ben"]] = counts.get(values["ben"], 0) + 1
            if len(counts) > DISTINCT_CAP:
                keep = cust["s"]["ben"]
                for key in [k for k in counts if k not in keep]:
                    del counts[key]
        f.update(cust_devices_24h=_distinct(cust, "dev", now, DAY),
                 cust_devices_30d=_distinct(cust, "dev", now, KEEP),
                 cust_beneficiaries_24h=_distinct(cust, "ben", now, DAY),
                 cust_new_beneficiaries_24h=_distinct(cust, "ben", now, DAY, by_first=True),
                 cust_ips_24h=_distinct(cust, "ip", now, DAY),
                 cust_cities_24h=_distinct(cust, "city", now, DAY))
        # geo-velocity against the previous located event
        last_geo = cust.get("g")
        if point is not None:
            if last_geo is not None:
                km = haversine_km(last_geo[1], last_geo[2], point.lat, point.lon)
                minutes = max(0.0, (now - last_geo[0]) / 60)
                speed = km / max(minutes / 60, 1 / 60)  # at least one minute apart: no division by zero
                f.update(km_from_last=round(km, 1), speed_kmh=round(speed, 1),
                         impossible_travel=km >= 100 and speed >= 800)
            cust["g"] = [now, point.lat, point.lon]
        if known:
            f["minutes_since_last"] = (now - cust["l"]) // 60
        # habits: amount, hour, channel
        habits = cust.setdefault("h", {"n": 0, "mean": 0.0, "m2": 0.0, "max": 0, "hours": [0] * 24,
                                       "events": 0, "chan": {}})
        if out:
            n = habits["n"]
            if n >= 3:
                mean_fen = math.expm1(habits["mean"])
                std = math.sqrt(habits["m2"] / (n - 1))
                f.update(cust_avg_amount_yuan=int(mean_fen) // 100, cust_max_amount_yuan=habits["max"] // 100,
                         amount_to_avg_ratio=round(amount / max(mean_fen, 100.0), 2),
                         amount_to_max_ratio=round(amount / max(habits["max"], 100), 2),
                         amount_zscore=round((math.log1p(amount) - habits["mean"]) / max(std, 0.25), 2))
            x = math.log1p(amount)
            n += 1
            delta = x - habits["mean"]
            habits["mean"] += delta / n
            habits["m2"] += delta * (x - habits["mean"])
            habits["n"] = n
            habits["max"] = max(habits["max"], amount)
        hours = habits["hours"]
        hour = f["hour"]
        if habits["events"] >= 10:
            share = (hours[(hour - 1) % 24] + hours[hour] + hours[(hour + 1) % 24]) / habits["events"]
            f.update(hour_share=round(share, 3), unusual_hour=share < 0.02,
                     channel_share=round(habits["chan"].get(event.channel, 0) / habits["events"], 3))
        hours[hour] += 1
        habits["events"] += 1
        habits["chan"][event.channel] = habits["chan"].get(event.channel, 0) + 1
        # recency of security-relevant operations
        ops = cust.setdefault("o", {})
        for op, then in ops.items():  # only the operations this customer has done
            feature = TRACKED_OPS[op]
            minutes = max(0, (now - then) // 60)
            if f[feature] is None or minutes < f[feature]:
                f[feature] = minutes
        if sub_type in TRACKED_OPS:
            ops[sub_type] = now
        _record(cust, now, amount, flags, out)

    def _others(self, event: FraudEvent, states: Mapping[str, State | None], now: int, amount: int,
                flags: int, f: dict[str, Any]) -> None:
        cid = event.customer_id
        out = bool(flags & OUT)
        dev = states.get("dev")
        if dev is not None:
            f["dev_known"] = dev["n"] > 0
            _remember(dev, "cust", cid, now)
            f.update(dev_customers_24h=_distinct(dev, "cust", now, DAY),
                     dev_customers_30d=_distinct(dev, "cust", now, KEEP),
                     dev_out_count_1h=_window(dev["r"], now, 3600, OUT)[0] + out)
            _record(dev, now, amount, flags, out)
        ip = states.get("ip")
        if ip is not None:
            _remember(ip, "cust", cid, now)
            if event.card is not None:
                _remember(ip, "card", event.card.pan_hash, now)
            f.update(ip_customers_24h=_distinct(ip, "cust", now, DAY),
                     ip_out_count_1h=_window(ip["r"], now, 3600, OUT)[0] + out,
                     ip_cards_1h=_distinct(ip, "card", now, 3600),
                     ip_login_fail_1h=_window(ip["r"], now, 3600, FAIL)[0] + bool(flags & FAIL))
            _record(ip, now, amount, flags, out)
        acct = states["acct"]
        assert acct is not None
        in_count, in_sum = _window(acct["r"], now, DAY, IN)
        out_sum = _window(acct["r"], now, DAY, OUT)[1] + (amount if out else 0)
        if flags & IN:
            in_count, in_sum = in_count + 1, in_sum + amount
            if event.beneficiary is not None:  # on a credit, the counterparty is the payer
                _remember(acct, "payer", f"{event.beneficiary.bank_code}:{event.beneficiary.account}", now)
            acct["lc"] = now
        f.update(acct_in_count_24h=in_count, acct_in_sum_24h_yuan=in_sum // 100,
                 acct_in_payers_24h=_distinct(acct, "payer", now, DAY), acct_out_sum_24h_yuan=out_sum // 100,
                 passthrough_ratio=round(out_sum / in_sum, 2) if in_sum else None,
                 minutes_since_last_credit=_minutes(now, acct.get("lc")) if "lc" in acct else None,
                 acct_age_days=(now - acct["f"]) // DAY)
        _record(acct, now, amount, flags, out)
        ben = states.get("ben")
        if ben is not None and out:
            f.update(ben_known=ben["n"] > 0, ben_age_days=(now - ben["f"]) // DAY)
            _remember(ben, "payer", cid, now)
            count, total = _window(ben["r"], now, DAY, IN)
            f.update(ben_in_count_24h=count + 1, ben_in_sum_24h_yuan=(total + amount) // 100,
                     ben_payers_24h=_distinct(ben, "payer", now, DAY),
                     ben_payers_7d=_distinct(ben, "payer", now, 7 * DAY),
                     ben_new_payers_24h=_distinct(ben, "payer", now, DAY, by_first=True))
            _record(ben, now, amount, IN, False)
        card = states.get("card")
        if card is not None and event.card is not None:
            merchant = event.card.merchant_id or ""
            f["card_new_merchant"] = (bool(merchant) and card["n"] > 0
                                      and not _known(card, "mer", merchant, now))
            if merchant:
                _remember(card, "mer", merchant, now)
            _remember(card, "country", event.card.merchant_country, now)
            f.update(card_count_1h=_window(card["r"], now, 3600, OUT)[0] + out,
                     card_small_count_1h=_window(card["r"], now, 3600, SMALL)[0] + bool(flags & SMALL),
                     card_merchants_1h=_distinct(card, "mer", now, 3600),
                     card_countries_24h=_distinct(card, "country", now, DAY))
            _record(card, now, amount, flags, out)
            mer = states.get("mer")
            if mer is not None:
                _remember(mer, "card", event.card.pan_hash, now)
                f.update(mer_cards_1h=_distinct(mer, "card", now, 3600),
                         mer_cards_24h=_distinct(mer, "card", now, DAY),
                         mer_small_count_1h=_window(mer["r"], now, 3600, SMALL)[0] + bool(flags & SMALL))
                _record(mer, now, amount, flags, out)
