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

import math
from collections.abc import Callable, Collection
from typing import Any

import numpy as np

from bayfin.antifraud.arrays import (
    _EVER,
    _ORDERS,
    NotExact,
    _codes,
    _Columns,
    _first_time,
    _forget,
    _haversine,
    _last_time,
    _Map,
    _narrow,
    _prior_count,
    _ratio,
    _round,
    _when,
    _window,
)
from bayfin.antifraud.catalogue import Catalogue, load_catalogue
from bayfin.antifraud.features import (
    CST_OFFSET,
    DAY,
    DISTINCT_CAP,
    FAIL_TYPES,
    FEATURE_DEFAULTS,
    HIGH_RISK_MCC,
    KEEP,
    RECENT_CAP,
    SMALL_FEN,
    TRACKED_OPS,
)

__all__ = ["EVENT_COLUMNS", "NotExact", "vectorised_features"]

_OWN_BANK = "BOC"

#: The event-table columns the pass reads (the others, such as ``event_id``, need not be loaded).
EVENT_COLUMNS = (
    "occurred_at", "channel", "type", "customer_id", "account_id", "amount_fen", "currency", "ben_account",
    "ben_bank", "device_fingerprint", "device_rooted", "device_emulator", "ip", "proxy", "vpn", "datacentre",
    "ip_country", "sim_age_hours", "gps_lat", "gps_lon", "gps_city", "ipgeo_lat", "ipgeo_lon", "ipgeo_city",
    "session_seconds", "login_to_txn_seconds", "typing_cadence_ms", "pasted_beneficiary", "on_call",
    "screen_sharing", "card_pan_hash", "card_present", "three_ds", "merchant_id", "mcc", "merchant_country",
    "is_fraud",
)

_NAMES = list(FEATURE_DEFAULTS)
_EVENT = frozenset(_NAMES[:_NAMES.index("cust_known")])  # read from the event alone
#: The features read from each entity kind's own state (whose 24-hour list the engine caps).
_KINDS: dict[str, frozenset[str]] = {
    "account": frozenset({"acct_in_count_24h", "acct_in_sum_24h_yuan", "acct_in_payers_24h",
                          "acct_out_sum_24h_yuan", "passthrough_ratio", "minutes_since_last_credit",
                          "acct_age_days"}),
    "device": frozenset({"dev_known", "dev_customers_24h", "dev_customers_30d", "dev_out_count_1h"}),
    "ip": frozenset({"ip_customers_24h", "ip_out_count_1h", "ip_cards_1h", "ip_login_fail_1h"}),
    "card": frozenset({"card_count_1h", "card_small_count_1h", "card_merchants_1h", "card_countries_24h",
                       "card_new_merchant"}),
    "merchant": frozenset({"mer_cards_1h", "mer_small_count_1h", "mer_cards_24h"}),
    "beneficiary": frozenset({"ben_known", "ben_age_days", "ben_in_count_24h", "ben_in_sum_24h_yuan",
                              "ben_payers_24h", "ben_payers_7d", "ben_new_payers_24h"}),
}
_KINDS = {"customer": frozenset(_NAMES) - _EVENT - frozenset().union(*_KINDS.values()), **_KINDS}
_CODE_OF_KIND = {"customer": "cust", "account": "acct", "device": "dev", "ip": "ip", "card": "card",
                 "merchant": "mer", "beneficiary": "paid"}
_HABITS = ("cust_avg_amount_yuan", "cust_max_amount_yuan", "amount_to_avg_ratio", "amount_to_max_ratio",
           "amount_zscore")


class _Pass:
    """One pass: the (valid, time-ordered) event table, the per-row arrays its blocks share, entity
    codes on demand, and the output columns."""

    # set by _event_fields: per-row flags and values the blocks share
    out: np.ndarray
    inflow: np.ndarray
    small: np.ndarray
    cash: np.ndarray
    transfer: np.ndarray
    card_out: np.ndarray
    fail: np.ndarray
    hour: np.ndarray
    cday: np.ndarray
    sub_type: Any  # categorical
    has_dev: np.ndarray
    has_net: np.ndarray
    has_ben: np.ndarray
    has_card: np.ndarray

    def __init__(self, frame: Any, types: Any, channel: Any, wanted: frozenset[str], compact: bool,
                 step: Callable[[str], None]) -> None:
        import polars as pl

        self.frame, self.n, self.wanted, self.compact, self.step = frame, frame.height, wanted, compact, step
        # the type and channel of every row, held as categoricals (a few bytes a row, not a string each)
        self.types, self.channel = types.cast(pl.Categorical), channel.cast(pl.Categorical)
        self.columns: dict[str, Any] = {}
        self._codes: dict[str, np.ndarray] = {}
        self._has: dict[str, np.ndarray] = {}
        ts = frame["occurred_at"].dt.epoch("s").to_numpy().astype(np.int64)
        if self.n and np.any(np.diff(ts) < 0):
            raise NotExact("the events are not in time order")
        self.t0 = int(ts[0]) - 40 * DAY if self.n else 0
        self.t = ts - self.t0
        del ts
        self.amount = np.asarray(frame["amount_fen"].fill_null(0).to_numpy(), dtype=np.int64)

    def wants(self, *names: str) -> bool:
        """Whether any of these features is asked for."""
        return any(name in self.wanted for name in names)

    def put(self, name: str, values: Any, valid: np.ndarray | None = None) -> None:
        """Keep a feature column if it is asked for: ``values`` (or a function making them) where
        ``valid``, null elsewhere."""
        import polars as pl

        if name not in self.wanted:
            return
        if callable(values):
            values = values()
        series = values if isinstance(values, pl.Series) else pl.Series(name, values)
        if valid is not None:
            series = _when(valid, series)
        if series.dtype.is_integer():
            series = _narrow(series) if self.compact else series.cast(pl.Int64)
        self.columns[name] = series.alias(name)

    def text(self, name: str) -> Any:
        """A column as strings (all null when the table has no such column)."""
        import polars as pl

        if name not in self.frame.columns:
            return pl.Series(name, [None] * self.n, pl.Utf8)
        return self.frame[name].cast(pl.Utf8)

    def number(self, name: str) -> Any:
        """An integer column (all null when absent)."""
        import polars as pl

        if name not in self.frame.columns:
            return pl.Series(name, [None] * self.n, pl.Int64)
        return self.frame[name]

    def has(self, name: str) -> np.ndarray:
        """Where a column holds a value (a non-empty one, for strings); read once."""
        import polars as pl

        if name not in self._has:
            if name not in self.frame.columns:
                return np.zeros(self.n, bool)
            col = self.frame[name]
            present = col.is_not_null()
            if col.dtype in (pl.Utf8, pl.Categorical):
                present = present & (col.cast(pl.Utf8) != "")
            self._has[name] = np.asarray(present.to_numpy(), dtype=bool)
        return self._has[name]

    def flag(self, name: str) -> np.ndarray:
        """A boolean column, null as false."""
        if name not in self.frame.columns:
            return np.zeros(self.n, bool)
        return np.asarray(self.frame[name].fill_null(False).to_numpy(), dtype=bool)

    def coords(self) -> dict[str, np.ndarray]:
        """GPS and IP-geolocation coordinates, null as 0."""
        return {c: np.asarray(self.frame[c].fill_null(0.0).to_numpy(), dtype=np.float64)
                if c in self.frame.columns else np.zeros(self.n) for c in ("gps_lat", "gps_lon", "ipgeo_lat",
                                                                             "ipgeo_lon")}

    def forget(self, *kinds: str) -> None:
        """Drop entity codes (and their cached orders) that no later block reads."""
        for kind in kinds:
            codes = self._codes.pop(kind, None)
            if codes is not None:
                _forget(codes)

    def code(self, kind: str) -> np.ndarray:
        """Entity codes of a kind (−1 where the event has none), computed once."""
        cached = self._codes.get(kind)
        if cached is None:
            cached = self._codes[kind] = self._make_code(kind)
        return cached

    def _make_code(self, kind: str) -> np.ndarray:
        if kind == "cust":
            return _codes(self.text("customer_id"))
        if kind == "acct":
            return _codes(self.text("account_id"))
        if kind == "chan":
            return _codes(self.channel)
        if kind == "paid":  # the beneficiary of an outflow
            return np.where(self.out, self.code("ben"), -1)
        if kind == "ben":
            key = self.text("ben_bank").fill_null("") + ":" + self.text("ben_account").fill_null("")
            return np.where(self.has_ben, _codes(key), -1)
        if kind == "mer":
            return np.where(self.has_card & self.has("merchant_id"), _codes(self.text("merchant_id")), -1)
        column, present = {"dev": ("device_fingerprint", self.has_dev), "ip": ("ip", self.has_net),
                           "card": ("card_pan_hash", self.has_card)}[kind]
        return np.where(present, _codes(self.text(column)), -1)


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


def _put_windows(p: _Pass, g: np.ndarray, t: np.ndarray, span: int,
                 columns: dict[str, tuple[Any, int]]) -> None:
    """Put the wanted ones of ``columns`` (feature: (values, or a function making them; divisor)): the
    values' sums over the entity's window of ``span``, floor-divided by the divisor."""
    names = [name for name in columns if name in p.wanted]
    if not names:
        return
    values = [columns[k][0]() if callable(columns[k][0]) else columns[k][0] for k in names]
    for name, total in zip(names, _window(g, t, span, values), strict=True):
        divisor = columns[name][1]
        p.put(name, total // divisor if divisor != 1 else total)


# ---------------------------------------------------------------------------------------------- helpers

def _customer_features(p: _Pass) -> None:
    n, t, cust, out, amount = p.n, p.t, p.code("cust"), p.out, p.amount
    _put_windows(p, cust, t, 300, {"cust_out_count_5m": (out, 1)})
    _put_windows(p, cust, t, 3600, {
        "cust_out_count_1h": (out, 1), "cust_out_sum_1h_yuan": (lambda: out * amount, 100),
        "cust_small_count_1h": (p.small, 1), "cust_transfer_count_1h": (p.transfer, 1),
        "cust_card_count_1h": (p.card_out, 1), "cust_login_fail_1h": (p.fail, 1)})
    _put_windows(p, cust, t, DAY, {
        "cust_out_count_24h": (out, 1), "cust_out_sum_24h_yuan": (lambda: out * amount, 100),
        "cust_cash_count_24h": (p.cash, 1), "cust_cash_sum_24h_yuan": (lambda: p.cash * amount, 100),
        "cust_login_fail_24h": (p.fail, 1)})
    _put_windows(p, cust, p.cday, 7, {"cust_out_count_7d": (out, 1),
                                      "cust_out_sum_7d_yuan": (lambda: out * amount, 100)})
    _put_windows(p, cust, p.cday, 30, {"cust_out_sum_30d_yuan": (lambda: out * amount, 100)})
    previous = np.zeros(0, np.int64)
    if p.wants("cust_known", "cust_event_count", "minutes_since_last", "hour_share", "unusual_hour",
               "channel_share"):
        previous = _window(cust, t, _EVER, [np.ones(n, np.int64)])[0] - 1
        known = previous > 0
        p.put("cust_known", known)
        p.put("cust_event_count", previous)
        p.put("minutes_since_last", lambda: (t - _last_time(cust, t, np.ones(n, bool), before=True)) // 60,
              valid=known)
        del known
    p.put("cust_age_days", lambda: (t - _first_time(cust, t)) // DAY)
    _customer_maps(p, cust)
    p.step("customer windows")
    # habits: the share of the customer's earlier events at this hour (±1) and on this channel
    enough = previous >= 10
    if p.wants("hour_share", "unusual_hour"):
        around = _prior_count(cust, p.hour, 24, (-1, 0, 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(enough, around / np.maximum(previous, 1), 1.0)
        p.put("hour_share", *_ratio(around, previous, 3, enough))
        p.put("unusual_hour", enough & (share < 0.02))
        del around, share
    if p.wants("channel_share"):
        chan = p.code("chan")
        on_channel = _prior_count(cust, chan, int(chan.max()) + 1 if n else 1)
        p.put("channel_share", *_ratio(on_channel, previous, 3, enough))
    del enough, previous
    # times since the customer's security operations (the operation itself is remembered after it)
    by_feature: dict[str, list[str]] = {}
    for op, feature in TRACKED_OPS.items():
        by_feature.setdefault(feature, []).append(op)
    for feature, ops in by_feature.items():
        if feature not in p.wanted:
            continue
        best = np.full(n, -1, dtype=np.int64)
        for op in ops:
            mark = np.asarray((p.sub_type == op).to_numpy(), bool)
            if not mark.any():
                continue
            then = _last_time(cust, t, mark, before=True)
            minutes = np.maximum(0, (t - then) // 60)
            best = np.where((then >= 0) & ((best < 0) | (minutes < best)), minutes, best)
        p.put(feature, best, valid=best >= 0)
    if p.wants(*_HABITS):
        _amount_habits(p, cust)
    if p.wants("km_from_last", "speed_kmh", "impossible_travel"):
        _geo_velocity(p, cust)
    _forget(cust)  # its order; the codes are values of other entities' maps
    p.forget("chan")
    p.step("habits")


def _customer_maps(p: _Pass, cust: np.ndarray) -> None:
    """Remembered values: device, beneficiary (outflows), city, IP, channel."""
    import polars as pl

    t = p.t

    def spans(**features: int) -> tuple[int, ...]:
        return tuple(span for name, span in features.items() if name in p.wanted)

    if p.wants("cust_new_device", "cust_device_age_minutes", "cust_devices_24h", "cust_devices_30d"):
        dev = p.code("dev")
        m = _Map(cust, dev, dev >= 0, t, spans(cust_devices_24h=DAY, cust_devices_30d=KEEP))
        p.put("cust_new_device", lambda: (dev >= 0) & ~m.known)
        p.put("cust_device_age_minutes", lambda: np.where(m.first >= 0, (t - m.first) // 60, 0),
              valid=dev >= 0)
        p.put("cust_devices_24h", lambda: m.distinct[DAY])
        p.put("cust_devices_30d", lambda: m.distinct[KEEP])
    if p.wants("cust_new_beneficiary", "ben_paid_before_count", "cust_beneficiaries_24h",
               "cust_new_beneficiaries_24h"):
        paid = p.code("paid")
        m = _Map(cust, paid, paid >= 0, t, spans(cust_beneficiaries_24h=DAY),
                 spans(cust_new_beneficiaries_24h=DAY))
        if len(m.heavy):
            raise NotExact(f"a customer paid more than {DISTINCT_CAP} beneficiaries "
                           "(their counts are pruned)")
        p.put("cust_new_beneficiary", lambda: (paid >= 0) & ~m.known)
        p.put("ben_paid_before_count", lambda: np.where(m.known, m.before, 0))
        p.put("cust_beneficiaries_24h", lambda: m.distinct[DAY])
        p.put("cust_new_beneficiaries_24h", lambda: m.first_seen[DAY])
    if p.wants("cust_new_city", "cust_cities_24h"):
        gps, ipgeo = p.has("gps_lat") & p.has("gps_city"), p.has("ipgeo_lat") & p.has("ipgeo_city")
        city_text = pl.select(pl.when(pl.lit(pl.Series(gps))).then(pl.lit(p.text("gps_city")))
                              .when(pl.lit(pl.Series(ipgeo))).then(pl.lit(p.text("ipgeo_city")))
                              .otherwise(pl.lit(""))).to_series()
        city = np.where(np.asarray((city_text != "").to_numpy(), bool), _codes(city_text), -1)
        del city_text, gps, ipgeo
        m = _Map(cust, city, city >= 0, t, spans(cust_cities_24h=DAY))
        p.put("cust_new_city", lambda: (city >= 0) & ~m.known)
        p.put("cust_cities_24h", lambda: m.distinct[DAY])
    if p.wants("cust_new_ip", "cust_ips_24h"):
        ipc = p.code("ip")
        m = _Map(cust, ipc, ipc >= 0, t, spans(cust_ips_24h=DAY))
        p.put("cust_new_ip", lambda: (ipc >= 0) & ~m.known)
        p.put("cust_ips_24h", lambda: m.distinct[DAY])
    if p.wants("cust_new_channel"):
        chan = p.code("chan")
        p.put("cust_new_channel", (chan >= 0) & ~_Map(cust, chan, chan >= 0, t).known)


def _amount_habits(p: _Pass, cust: np.ndarray) -> None:
    """Amount habits: Welford's running log-amount mean and variance, with the engine's arithmetic.

    The recurrence is sequential per customer but independent across customers, so it runs as one
    numpy step per outflow rank (every customer's first outflow, then every second one, …) with the
    same IEEE operations in the same order; ``log1p`` and ``expm1`` are Python's own (numpy's may
    differ in the last bit), ``sqrt`` and the divisions are correctly rounded in both."""
    n = p.n
    rows = np.flatnonzero(p.out)
    owner, amount = cust[rows], p.amount[rows]
    x = np.fromiter(map(math.log1p, amount.tolist()), np.float64, len(rows))
    by_owner = np.argsort(owner, kind="stable")  # each customer's outflows in time order
    owners = owner[by_owner]
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(rows) else np.zeros(0, np.int64)
    rank = np.empty(len(rows), np.int64)
    rank[by_owner] = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    del by_owner, owners, starts
    customers = int(cust.max()) + 1 if n else 0
    mean, m2, top = np.zeros(customers), np.zeros(customers), np.zeros(customers, np.int64)
    mean_before, m2_before = np.zeros(len(rows)), np.zeros(len(rows))
    top_before = np.zeros(len(rows), np.int64)
    by_rank = np.argsort(rank, kind="stable")
    edges = np.r_[0, np.cumsum(np.bincount(rank))] if len(rows) else np.zeros(1, np.int64)
    for k in range(len(edges) - 1):
        at = by_rank[edges[k]:edges[k + 1]]  # the (k+1)-th outflow of each customer who has one
        c, xk = owner[at], x[at]
        mean_before[at], m2_before[at], top_before[at] = mean[c], m2[c], top[c]
        delta = xk - mean[c]
        mean[c] = mean[c] + delta / (k + 1)
        m2[c] = m2[c] + delta * (xk - mean[c])
        top[c] = np.maximum(top[c], amount[at])
    del by_rank, mean, m2, top
    ready = rank >= 3  # three outflows before this one
    at, count = np.flatnonzero(ready), rank[ready]
    mean_fen = np.fromiter(map(math.expm1, mean_before[at].tolist()), np.float64, len(at))
    std = np.sqrt(m2_before[at] / (count - 1))
    a, top_at, z = amount[at], top_before[at], x[at] - mean_before[at]
    seen = np.zeros(n, bool)
    seen[rows[at]] = True
    for name, values in (("cust_avg_amount_yuan", lambda: np.trunc(mean_fen).astype(np.int64) // 100),
                         ("cust_max_amount_yuan", lambda: top_at // 100),
                         ("amount_to_avg_ratio", lambda: _round(a / np.maximum(mean_fen, 100.0), 2)),
                         ("amount_to_max_ratio", lambda: _round(a / np.maximum(top_at, 100), 2)),
                         ("amount_zscore", lambda: _round(z / np.maximum(std, 0.25), 2))):
        if name in p.wanted:
            column = np.zeros(n, dtype=np.int64 if name.endswith("_yuan") else np.float64)
            column[rows[at]] = values()
            p.put(name, column, valid=seen)


def _geo_velocity(p: _Pass, cust: np.ndarray) -> None:
    """Distance and speed against the customer's previous located event."""
    n, t = p.n, p.t
    gps, ipgeo = p.has("gps_lat"), p.has("ipgeo_lat")
    c = p.coords()
    located = np.flatnonzero(gps | ipgeo)
    lat_ = np.where(gps, c["gps_lat"], c["ipgeo_lat"])[located]
    lon_ = np.where(gps, c["gps_lon"], c["ipgeo_lon"])[located]
    del c
    owner = cust[located]
    order = np.argsort(owner, kind="stable")
    same = np.r_[False, owner[order][1:] == owner[order][:-1]] if len(order) else np.zeros(0, bool)
    here, before = order[same], order[np.flatnonzero(same) - 1]
    km = _haversine(lat_[before], lon_[before], lat_[here], lon_[here])
    minutes = np.maximum(0.0, (t[located][here] - t[located][before]) / 60)
    kmh = km / np.maximum(minutes / 60, 1 / 60)
    rows = located[here]
    impossible, moved = np.zeros(n, bool), np.zeros(n, bool)
    impossible[rows] = (km >= 100) & (kmh >= 800)
    moved[rows] = True
    km_from, speed = np.zeros(n), np.zeros(n)
    km_from[rows], speed[rows] = _round(km, 1), _round(kmh, 1)
    p.put("km_from_last", km_from, valid=moved)
    p.put("speed_kmh", speed, valid=moved)
    p.put("impossible_travel", impossible)


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
