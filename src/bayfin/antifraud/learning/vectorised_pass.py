"""The state of one vectorised feature pass (see :mod:`bayfin.antifraud.learning.vectorised`): the event
table, the per-row arrays its blocks share, entity codes made on demand, and the output columns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bayfin.antifraud.engine.features import (
    DAY,
    FEATURE_DEFAULTS,
)
from bayfin.antifraud.learning.arrays import (
    NotExact,
    _codes,
    _forget,
    _narrow,
    _when,
    _window,
)

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
