"""The engine's per-event features computed for a whole history at once (polars + numpy), for backtests.

``FeatureComputer`` stays the one definition: this pass re-expresses the same windows over the same
time-ordered events as prefix sums and sorted searches, and a test compares both on the same events
(``tests/integration/antifraud/test_vectorised_features.py``). How each state maps to arrays:

- a 5-minute/1-hour/24-hour window of an entity (customer, account, device, IP, beneficiary, card,
  merchant) is the difference of two prefix sums over that entity's events in order, the first
  found by a binary search for ``ts − span`` (events at the same second but later in the file are
  not yet seen, as in the engine);
- 7- and 30-day windows are the same over China-Standard-Time calendar days;
- a distinct count ("devices of this customer in 24 h") is the number of (entity, value) presence
  runs begun up to the event minus those ended by its time: a value is present for ``span`` after
  each sighting, so consecutive sightings closer than ``span`` form one run;
- first-seen flags, "paid before" counts and device ages come from the previous sighting of the same
  (entity, value) pair; the times since security operations from forward-filled last times;
- amount habits (a running log-amount mean and variance, Welford's update) are sequential per
  customer: they run as one numpy step per outflow rank across all customers, with the engine's
  IEEE operations in its order and Python's own ``log1p``/``expm1``; the roundings of ratios and
  distances use numpy where that gives Python's ``round`` exactly and Python's ``round`` next to a
  half (see ``_round``), so the rounded figures are identical.

Only the features asked for are computed (``only``: a backtest asks for those its rules name), so a
rule set that reads no device feature costs no device windows; every feature otherwise. Each column
becomes a polars series as soon as it is computed and the arrays behind it are dropped, and entity
codes go once the last block reading them is done, so the peak is the output plus the shared
per-row arrays plus one block's intermediates. Given a lazy frame, the pass reads the event table
one column at a time and never holds it whole. ``compact`` stores integer features in the narrowest
integer type that holds them (a backtest widens them again before any arithmetic, see
``backtest.condition_expr``) and the label columns as categoricals.

The engine caps what a state remembers (``RECENT_CAP`` events in 24 h, ``DISTINCT_CAP`` values per
map). The pass checks whether any entity whose features are asked for reaches a cap; if one does,
``vectorised_features`` raises ``NotExact`` and the caller falls back to the per-event path. Row
validation is only the catalogue check (type known and of the event's channel); files written by
bayfin are otherwise valid.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import numpy as np

from bayfin.antifraud.engine.catalogue import Catalogue, load_catalogue
from bayfin.antifraud.engine.features import (
    CST_OFFSET,
    DAY,
    FAIL_TYPES,
    FEATURE_DEFAULTS,
    HIGH_RISK_MCC,
    KEEP,
    RECENT_CAP,
    SMALL_FEN,
)
from bayfin.antifraud.learning.arrays import (
    _EVER,
    _ORDERS,
    NotExact,
    _codes,
    _Columns,
    _first_time,
    _haversine,
    _last_time,
    _Map,
    _ratio,
    _round,
    _when,
    _window,
)
from bayfin.antifraud.learning.vectorised_customer import _customer_features
from bayfin.antifraud.learning.vectorised_pass import (
    _CODE_OF_KIND,
    _KINDS,
    _OWN_BANK,
    EVENT_COLUMNS,
    _Pass,
    _put_windows,
)

__all__ = ["EVENT_COLUMNS", "NotExact", "vectorised_features"]


def vectorised_features(events: Any, catalogue: Catalogue | None = None,
                        on_step: Callable[[str], None] | None = None, only: Collection[str] | None = None,
                        compact: bool = False) -> Any:
    """Features of every valid row of a time-ordered event table (the engine's definition, all at once).

    ``events`` is a polars frame in time order, or a lazy frame (``backtest.event_scan``), which is
    read one column at a time and put in stable time order. Returns a polars frame with one column
    per feature of ``FEATURE_DEFAULTS`` (only those named in ``only``, when given) plus ``_fraud``,
    ``_amount_fen``, ``_channel`` and ``_type``, in the rows' order; ``compact`` narrows the integer
    columns (see the module docstring). Raises ``NotExact`` when the events would make the engine
    forget state that a wanted feature reads."""
    wanted = frozenset(FEATURE_DEFAULTS if only is None else only)
    unknown = wanted - FEATURE_DEFAULTS.keys()
    if unknown:
        raise ValueError(f"unknown features: {', '.join(sorted(unknown))}")
    _ORDERS.clear()
    try:
        return _features(events, catalogue or load_catalogue(), on_step or (lambda _name: None), wanted,
                         compact)
    finally:
        _ORDERS.clear()  # the cache holds the pass's arrays: release them


def _features(events: Any, catalogue: Catalogue, step: Callable[[str], None], wanted: frozenset[str],
              compact: bool) -> Any:
    import polars as pl

    table = _Columns(events) if isinstance(events, pl.LazyFrame) else events
    types, channel = table["type"].cast(pl.Utf8), table["channel"].cast(pl.Utf8)
    prefix = {code: code.split(".")[0] for code in catalogue.types}  # a known type of the event's channel
    keep = np.asarray((types.replace_strict(prefix, default=None, return_dtype=pl.Utf8) == channel)
                      .fill_null(False).to_numpy(), dtype=bool)
    if not keep.all():
        if isinstance(table, _Columns):
            table.keep(keep)
        else:
            table = table.filter(pl.Series(keep))
        types, channel = types.filter(pl.Series(keep)), channel.filter(pl.Series(keep))
    del keep
    p = _Pass(table, types, channel, wanted, compact, step)
    del types, channel, table
    _event_fields(p, catalogue)
    step("event fields")
    for kind, features in _KINDS.items():
        g = p.code(_CODE_OF_KIND[kind]) if wanted & features else None
        if g is not None and p.n and _window(g, p.t, DAY, [np.ones(p.n, np.int64)])[0].max() > RECENT_CAP:
            raise NotExact(f"a {kind} has more than {RECENT_CAP} events within 24 hours")
    if wanted & _KINDS["customer"]:
        _customer_features(p)
    else:
        step("customer windows")
        step("habits")
    _entity_features(p)
    step("entity windows")
    n = p.n
    columns = [p.columns[name] if name in p.columns else pl.Series(name, [default] * n)
               for name, default in FEATURE_DEFAULTS.items() if name in wanted]
    channel, kinds = (p.channel, p.types) if compact else (p.channel.cast(pl.Utf8), p.types.cast(pl.Utf8))
    fraud = p.frame["is_fraud"].fill_null(False) if "is_fraud" in p.frame.columns else pl.Series([False] * n)
    labels = [fraud.alias("_fraud"), pl.Series("_amount_fen", p.amount), channel.alias("_channel"),
              kinds.alias("_type")]
    return pl.DataFrame(columns + labels)


def _event_fields(p: _Pass, catalogue: Catalogue) -> None:
    import polars as pl

    types, n, amount = catalogue.types, p.n, p.amount

    def lookup(attribute: str) -> Any:
        return p.types.replace_strict({c: getattr(x, attribute) for c, x in types.items()})

    flow, business, p.sub_type = lookup("flow"), lookup("business"), lookup("sub_type").cast(pl.Categorical)
    out = p.out = np.asarray((flow == "out").to_numpy(), bool) & (amount > 0)
    p.inflow = np.asarray((flow == "in").to_numpy(), bool) & (amount > 0)
    p.small = out & (amount <= SMALL_FEN)
    p.cash, p.transfer, p.card_out = (out & np.asarray((business == b).to_numpy(), bool)
                                      for b in ("cash", "transfer", "card"))
    p.fail = np.asarray(p.sub_type.is_in(list(FAIL_TYPES)).to_numpy(), bool)
    local = p.t + (p.t0 + CST_OFFSET)
    p.hour = ((local // 3600) % 24).astype(np.int8)
    p.cday = (local // DAY - (p.t0 + CST_OFFSET) // DAY).astype(np.int32)
    p.put("amount_fen", amount)
    p.put("amount_yuan", lambda: amount // 100)
    p.put("channel", lambda: p.channel.cast(pl.Utf8))
    p.put("type", lambda: p.types.cast(pl.Utf8))
    p.put("sub_type", lambda: p.sub_type.cast(pl.Utf8))
    p.put("business", business)
    p.put("flow", flow)
    del flow, business
    p.put("is_outflow", out)
    p.put("sensitive_op", lambda: lookup("sensitive"))
    p.put("foreign_currency", lambda: p.text("currency").fill_null("CNY") != "CNY")
    p.put("hour", p.hour)
    p.put("night", lambda: p.hour < 6)
    p.put("weekday", lambda: (local // DAY + 3) % 7)
    has_dev, has_net = p.has_dev, p.has_net = p.has("device_fingerprint"), p.has("ip")
    has_ben, has_card = p.has_ben, p.has_card = p.has("ben_account"), p.has("card_pan_hash")
    p.put("has_device", has_dev)
    p.put("device_rooted", lambda: has_dev & p.flag("device_rooted"))
    p.put("device_emulator", lambda: has_dev & p.flag("device_emulator"))
    p.put("has_network", has_net)
    if p.wants("proxy", "vpn", "datacentre_ip", "anonymous_ip"):
        proxy, vpn, dc = has_net & p.flag("proxy"), has_net & p.flag("vpn"), has_net & p.flag("datacentre")
        for name, values in (("proxy", proxy), ("vpn", vpn), ("datacentre_ip", dc),
                             ("anonymous_ip", proxy | vpn | dc)):
            p.put(name, values)
    p.put("ip_foreign", lambda: has_net & np.asarray(
        (p.text("ip_country").fill_null("CN").replace("", "CN") != "CN").to_numpy(), bool))
    p.put("sim_age_hours", lambda: p.number("sim_age_hours"), valid=has_net)
    p.put("has_beneficiary", has_ben)
    p.put("beneficiary_other_bank", lambda: has_ben & np.asarray(
        (p.text("ben_bank") != _OWN_BANK).fill_null(True).to_numpy(), bool))
    for name in ("session_seconds", "login_to_txn_seconds", "typing_cadence_ms"):
        p.put(name, lambda name=name: p.number(name))
    for name in ("pasted_beneficiary", "on_call", "screen_sharing"):
        p.put(name, lambda name=name: p.flag(name))
    p.put("op_count", lambda: np.zeros(n, np.int64))
    p.put("ops_touch_security", lambda: np.zeros(n, bool))
    p.put("has_card", has_card)
    p.put("card_present", lambda: has_card & p.flag("card_present"))
    p.put("card_cnp", lambda: has_card & ~p.flag("card_present"))
    p.put("three_ds", lambda: has_card & p.flag("three_ds"))
    if p.wants("mcc", "high_risk_mcc"):
        mcc = _when(has_card, p.text("mcc").fill_null(""), "")
        p.put("mcc", mcc)
        p.put("high_risk_mcc", lambda: mcc.is_in(list(HIGH_RISK_MCC)))
    p.put("merchant_foreign", lambda: has_card & np.asarray(
        (p.text("merchant_country").fill_null("CN").replace("", "CN") != "CN").to_numpy(), bool))
    if p.wants("gps_ip_km"):
        both = p.has("gps_lat") & p.has("ipgeo_lat")
        c = p.coords()
        km = np.zeros(n)
        km[both] = _round(_haversine(c["gps_lat"][both], c["gps_lon"][both], c["ipgeo_lat"][both],
                                     c["ipgeo_lon"][both]), 1)
        p.put("gps_ip_km", km, valid=both)


def _entity_features(p: _Pass) -> None:
    n, t, out, amount, wanted = p.n, p.t, p.out, p.amount, p.wanted

    def ones() -> np.ndarray:
        return np.ones(n, np.int64)

    def spans(**features: int) -> tuple[int, ...]:
        return tuple(span for name, span in features.items() if name in wanted)

    if wanted & _KINDS["device"]:
        dev = p.code("dev")
        on_dev = dev >= 0
        p.put("dev_known", lambda: on_dev & (_window(dev, t, _EVER, [ones()])[0] > 1))
        if p.wants("dev_customers_24h", "dev_customers_30d"):
            dev_customers = _Map(dev, p.code("cust"), on_dev, t,
                                 spans(dev_customers_24h=DAY, dev_customers_30d=KEEP)).distinct
            p.put("dev_customers_24h", lambda: dev_customers[DAY])
            p.put("dev_customers_30d", lambda: dev_customers[KEEP])
            del dev_customers
        _put_windows(p, dev, t, 3600, {"dev_out_count_1h": (out, 1)})
        p.forget("dev")
    if wanted & _KINDS["ip"]:
        ipc = p.code("ip")
        on_ip = ipc >= 0
        p.put("ip_customers_24h", lambda: _Map(ipc, p.code("cust"), on_ip, t, (DAY,)).distinct[DAY])
        _put_windows(p, ipc, t, 3600, {"ip_out_count_1h": (out, 1), "ip_login_fail_1h": (p.fail, 1)})
        p.put("ip_cards_1h", lambda: _Map(ipc, p.code("card"), on_ip & (p.code("card") >= 0), t,
                                          (3600,)).distinct[3600])
        p.forget("ip")
    if wanted & _KINDS["account"]:  # the customer's own account: credits, debits, payers, pass-through
        acct = p.code("acct")
        if p.wants("acct_in_count_24h", "acct_in_sum_24h_yuan", "acct_out_sum_24h_yuan", "passthrough_ratio"):
            in_count, in_sum, out_sum = _window(acct, t, DAY, [p.inflow, p.inflow * amount, out * amount])
            p.put("acct_in_count_24h", in_count)
            p.put("acct_in_sum_24h_yuan", lambda: in_sum // 100)
            p.put("acct_out_sum_24h_yuan", lambda: out_sum // 100)
            p.put("passthrough_ratio", *_ratio(out_sum, in_sum, 2, in_sum > 0))
            del in_count, in_sum, out_sum
        p.put("acct_in_payers_24h", lambda: _Map(acct, p.code("ben"), p.inflow & p.has_ben, t,
                                                 (DAY,)).distinct[DAY])
        if p.wants("minutes_since_last_credit"):
            credit = _last_time(acct, t, p.inflow, before=False)
            p.put("minutes_since_last_credit", np.maximum(0, (t - credit) // 60), valid=credit >= 0)
            del credit
        p.put("acct_age_days", lambda: (t - _first_time(acct, t)) // DAY)
        p.forget("acct")
    if wanted & _KINDS["beneficiary"]:  # the beneficiary of an outflow
        paid = p.code("paid")
        on_ben = paid >= 0
        if p.wants("ben_payers_24h", "ben_payers_7d", "ben_new_payers_24h"):
            payers = _Map(paid, p.code("cust"), on_ben, t, spans(ben_payers_24h=DAY,
                                                                          ben_payers_7d=7 * DAY),
                          spans(ben_new_payers_24h=DAY))
            p.put("ben_payers_24h", lambda: payers.distinct[DAY])
            p.put("ben_payers_7d", lambda: payers.distinct[7 * DAY])
            p.put("ben_new_payers_24h", lambda: payers.first_seen[DAY])
            del payers
        p.put("ben_known", lambda: on_ben & (_window(paid, t, _EVER, [ones()])[0] > 1))
        p.put("ben_age_days", lambda: np.where(on_ben, (t - _first_time(p.code("ben"), t)) // DAY, 0))
        _put_windows(p, paid, t, DAY, {"ben_in_count_24h": (ones, 1), "ben_in_sum_24h_yuan": (amount, 100)})
    p.forget("cust", "ben", "paid")
    if wanted & (_KINDS["card"] | _KINDS["merchant"]):  # the card and its merchant
        card, mer = p.code("card"), p.code("mer")
        on_card, on_mer = card >= 0, mer >= 0
        if p.wants("card_new_merchant", "card_merchants_1h"):
            merchants = _Map(card, mer, on_mer, t, spans(card_merchants_1h=3600))
            p.put("card_new_merchant", lambda: on_mer & (_window(card, t, _EVER, [ones()])[0] > 1)
                  & ~merchants.known)
            p.put("card_merchants_1h", lambda: merchants.distinct[3600])
            del merchants
        if p.wants("card_countries_24h"):
            country = _codes(p.text("merchant_country").fill_null("CN").replace("", "CN"))
            p.put("card_countries_24h", _Map(card, country, on_card, t, (DAY,)).distinct[DAY])
            del country
        _put_windows(p, card, t, 3600, {"card_count_1h": (out, 1), "card_small_count_1h": (p.small, 1)})
        _put_windows(p, mer, t, 3600, {"mer_small_count_1h": (p.small, 1)})
        if p.wants("mer_cards_1h", "mer_cards_24h"):
            cards = _Map(mer, card, on_mer, t, spans(mer_cards_1h=3600, mer_cards_24h=DAY)).distinct
            p.put("mer_cards_1h", lambda: cards[3600])
            p.put("mer_cards_24h", lambda: cards[DAY])
        p.forget("card", "mer")
