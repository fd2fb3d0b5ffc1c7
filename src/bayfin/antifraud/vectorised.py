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
- amount habits (a running log-amount mean and variance, Welford's update) and geo-velocity are
  sequential by nature and run as a plain loop over the rows that need them, with the engine's
  own arithmetic, so the rounded figures are identical.

The engine caps what a state remembers (``RECENT_CAP`` events in 24 h, ``DISTINCT_CAP`` values per
map). The pass checks whether any entity reaches a cap; if one does, ``vectorised_features`` raises
``NotExact`` and the caller falls back to the per-event path. Row validation is only the catalogue
check (type known and of the event's channel); files written by bayfin are otherwise valid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

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
    State,
    _remember,
)
from bayfin.antifraud.features import _distinct as _engine_distinct
from bayfin.antifraud.features import _known as _engine_known
from bayfin.antifraud.geo import EARTH_RADIUS_KM

__all__ = ["NotExact", "vectorised_features"]

_SHIFT = np.int64(1) << np.int64(34)  # relative seconds (and days) stay below 2**34; entity codes below 2**29
_EVER = int(_SHIFT)  # a window span covering the whole history
_OWN_BANK = "BOC"


class NotExact(Exception):
    """An entity reached one of the engine's state caps: only the per-event path gives its features."""


# ---------------------------------------------------------------------------------------------- kernels

def _codes(values: Any) -> np.ndarray:
    """Dense integer codes of a polars string series; null (absent entity) is −1."""
    import polars as pl

    series = values.cast(pl.Utf8)
    codes = series.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
    return np.asarray(codes, dtype=np.int64)


_ORDERS: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # one pass's entity orders, by array identity


def _sorted_by_entity(g: np.ndarray) -> np.ndarray:
    """Row numbers of the entity's rows grouped by entity, in row order within each (cached per pass)."""
    cached = _ORDERS.get(id(g))
    if cached is not None and cached[0] is g:
        return cached[1]
    rows = np.flatnonzero(g >= 0)
    order = rows[np.argsort(g[rows], kind="stable")]
    _ORDERS[id(g)] = (g, order)  # the array is held, so its id cannot be reused during the pass
    return order


def _window(g: np.ndarray, t: np.ndarray, span: int, values: list[np.ndarray]) -> list[np.ndarray]:
    """Per row: the sums of ``values`` over the entity's rows up to it whose time is in (t − span, t]."""
    order = _sorted_by_entity(g)
    gs = g[order]
    if span >= _SHIFT:  # everything so far: the window starts at the entity's first row
        start = np.r_[True, gs[1:] != gs[:-1]] if len(order) else np.zeros(0, bool)
        first = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0)) if len(order) else order
    else:
        key = gs * _SHIFT + t[order]
        first = np.searchsorted(key, gs * _SHIFT + np.maximum(t[order] - span, -1), side="right")
    position = np.arange(1, len(order) + 1)
    out = []
    for v in values:
        prefix = np.concatenate([[0], np.cumsum(v[order].astype(np.int64))])
        result = np.zeros(len(g), dtype=np.int64)
        result[order] = prefix[position] - prefix[first]
        out.append(result)
    return out


def _pairs(g: np.ndarray, v: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sighting rows of (entity, value) pairs, ordered by pair then time, and their pair ids."""
    rows = np.flatnonzero(present & (g >= 0) & (v >= 0))
    pair = g[rows] * (int(v.max()) + 1 if len(v) else 1) + v[rows]
    order = np.argsort(pair, kind="stable")
    return rows[order], pair[order]


def _previous(rows: np.ndarray, pair: np.ndarray, t: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per sighting row: the previous sighting's time of the same pair (−1 if none) and how many before."""
    same = np.r_[False, pair[1:] == pair[:-1]] if len(rows) else np.zeros(0, bool)
    prev_t = np.full(n, -1, dtype=np.int64)
    prev_t[rows[same]] = t[rows[np.flatnonzero(same) - 1]]
    starts = np.flatnonzero(~same)
    run_index = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    before = np.zeros(n, dtype=np.int64)
    before[rows] = run_index
    return prev_t, before


def _distinct(g: np.ndarray, v: np.ndarray, present: np.ndarray, t: np.ndarray, span: int,
              first_seen: bool = False) -> np.ndarray:
    """Per row of the entity: values sighted within (t − span, t] (or first sighted, with first_seen)."""
    n = len(g)
    rows, pair = _pairs(g, v, present)
    prev_t, before = _previous(rows, pair, t, n)
    if first_seen:
        flag = np.zeros(n, dtype=np.int64)
        flag[rows[before[rows] == 0]] = 1
        return _window(g, t, span, [flag])[0]
    gap = (prev_t[rows] < 0) | (prev_t[rows] <= t[rows] - span)
    start = np.zeros(n, dtype=np.int64)
    start[rows[gap]] = 1
    run = np.cumsum(gap) - 1
    last = np.zeros(int(run[-1]) + 1 if len(run) else 0, dtype=np.int64)
    np.maximum.at(last, run, t[rows])
    run_entity = g[rows[gap]]
    ends = np.sort(run_entity * _SHIFT + last + span)
    begun = _window(g, t, _EVER, [start])[0]  # every run begun so far
    ended = (np.searchsorted(ends, g * _SHIFT + t, side="right")
             - np.searchsorted(ends, g * _SHIFT, side="left"))
    return np.where(g >= 0, begun - ended, 0)


class _Map:
    """A remembered-values map of one entity kind (``state["s"][name]`` in the engine), for all rows."""

    def __init__(self, name: str, g: np.ndarray, v: np.ndarray, present: np.ndarray, t: np.ndarray,
                 spans: tuple[int, ...] = (), first_spans: tuple[int, ...] = ()) -> None:
        present = present & (g >= 0) & (v >= 0)
        self.distinct = {span: _distinct(g, v, present, t, span) for span in spans}
        self.first_seen = {span: _distinct(g, v, present, t, span, first_seen=True) for span in first_spans}
        prev_t, self.before, first = _pair_history(g, v, present, t)
        self.known = present & _known(prev_t, t)  # seen within 30 days, before this row
        self.first = np.where(self.before > 0, first, -1)  # when first seen, before this row (−1: never)
        _rows, pair = _pairs(g, v, present)
        base = int(v.max()) + 1 if len(v) else 1
        entities, sizes = np.unique(np.unique(pair) // base, return_counts=True)
        self.heavy = entities[sizes > DISTINCT_CAP]  # these forget values: replay the engine's own map code
        if len(self.heavy):
            self._replay(name, g, v, present, t, spans, first_spans)

    def _replay(self, name: str, g: np.ndarray, v: np.ndarray, present: np.ndarray, t: np.ndarray,
                spans: tuple[int, ...], first_spans: tuple[int, ...]) -> None:
        states: dict[int, State] = {}
        for i in np.flatnonzero(np.isin(g, self.heavy)).tolist():
            state = states.setdefault(int(g[i]), {"s": {}})
            now = int(t[i])
            if present[i]:
                value = str(v[i])
                entry = state["s"].get(name, {}).get(value)
                self.known[i] = _engine_known(state, name, value, now)
                self.first[i] = -1 if entry is None else entry[0]
                _remember(state, name, value, now)
            for span in spans:
                self.distinct[span][i] = _engine_distinct(state, name, now, span)
            for span in first_spans:
                self.first_seen[span][i] = _engine_distinct(state, name, now, span, by_first=True)


def _ratio(num: np.ndarray, den: np.ndarray, digits: int, valid: np.ndarray) -> list[float | None]:
    """round(num / den, digits) as Python computes it, for the rows where ``valid``; None elsewhere."""
    cache: dict[tuple[int, int], float] = {}
    out: list[float | None] = [None] * len(num)
    for i in np.flatnonzero(valid):
        k = (int(num[i]), int(den[i]))
        r = cache.get(k)
        if r is None:
            r = cache[k] = round(k[0] / k[1], digits)
        out[i] = r
    return out


# ---------------------------------------------------------------------------------------------- the pass

def vectorised_features(events: Any, catalogue: Catalogue | None = None,
                        on_step: Callable[[str], None] | None = None) -> Any:
    """Features of every valid row of a time-ordered event table (the engine's definition, all at once).

    Returns a polars frame with one column per feature of ``FEATURE_DEFAULTS`` plus ``_fraud``,
    ``_amount_fen``, ``_channel`` and ``_type``, in the rows' order; raises ``NotExact`` when the
    events would make the engine forget state (see the module docstring)."""
    _ORDERS.clear()
    try:
        return _features(events, catalogue or load_catalogue(), on_step or (lambda _name: None))
    finally:
        _ORDERS.clear()  # the cache holds the pass's arrays: release them


def _features(events: Any, catalogue: Catalogue, step: Callable[[str], None]) -> Any:
    import polars as pl

    types = catalogue.types
    frame = events.filter(pl.col("type").is_in(list(types))
                          & (pl.col("type").str.split(".").list.first() == pl.col("channel")))
    n = frame.height
    ts = frame["occurred_at"].dt.epoch("s").to_numpy().astype(np.int64)
    if n and np.any(np.diff(ts) < 0):
        raise NotExact("the events are not in time order")
    t0 = int(ts[0]) - 40 * DAY if n else 0
    t = ts - t0
    s = {c: frame[c] for c in frame.columns}

    def text(name: str) -> Any:
        col = s.get(name)
        return pl.Series(name, [None] * n, pl.Utf8) if col is None else col.cast(pl.Utf8)

    def has(name: str) -> np.ndarray:
        col = text(name)
        return np.asarray((col.is_not_null() & (col != "")).to_numpy(), dtype=bool)

    def flag(name: str) -> np.ndarray:
        col = s.get(name)
        return np.zeros(n, bool) if col is None else np.asarray(col.fill_null(False).to_numpy(), dtype=bool)

    type_col = frame["type"]
    flow = type_col.replace_strict({c: x.flow for c, x in types.items()}).to_numpy()
    business = type_col.replace_strict({c: x.business for c, x in types.items()}).to_numpy()
    sub_type = type_col.replace_strict({c: x.sub_type for c, x in types.items()}).to_numpy()
    sensitive = np.asarray(type_col.replace_strict({c: x.sensitive for c, x in types.items()}).to_numpy(),
                           dtype=bool)
    amount = np.asarray(frame["amount_fen"].fill_null(0).to_numpy(), dtype=np.int64)
    out = (flow == "out") & (amount > 0)
    inflow = (flow == "in") & (amount > 0)
    small = out & (amount <= SMALL_FEN)
    cash = out & (business == "cash")
    fail = np.isin(sub_type, list(FAIL_TYPES))
    transfer = out & (business == "transfer")
    card_out = out & (business == "card")
    local = ts + CST_OFFSET
    hour = (local // 3600) % 24
    cday = local // DAY - (t0 + CST_OFFSET) // DAY
    f: dict[str, Any] = {}
    channel = frame["channel"].to_numpy()
    f.update(amount_fen=amount, amount_yuan=amount // 100, channel=channel, type=type_col.to_numpy(),
             business=business, sub_type=sub_type, flow=flow, is_outflow=out, sensitive_op=sensitive,
             foreign_currency=np.asarray((text("currency").fill_null("CNY") != "CNY").to_numpy(), bool),
             hour=hour, night=hour < 6, weekday=(local // DAY + 3) % 7)
    # -- the event's own fields
    has_dev, has_net, has_ben, has_card = has("device_fingerprint"), has("ip"), has("ben_account"), has(
        "card_pan_hash")
    f.update(has_device=has_dev, device_rooted=has_dev & flag("device_rooted"),
             device_emulator=has_dev & flag("device_emulator"), has_network=has_net)
    proxy, vpn, dc = has_net & flag("proxy"), has_net & flag("vpn"), has_net & flag("datacentre")
    f.update(proxy=proxy, vpn=vpn, datacentre_ip=dc, anonymous_ip=proxy | vpn | dc,
             ip_foreign=has_net & np.asarray((text("ip_country").fill_null("CN").replace("", "CN") != "CN")
                                             .to_numpy(), bool))
    sim_age = s["sim_age_hours"].to_list() if "sim_age_hours" in s else [None] * n
    f["sim_age_hours"] = [a if net else None for a, net in zip(sim_age, has_net, strict=True)]
    f.update(has_beneficiary=has_ben,
             beneficiary_other_bank=has_ben & np.asarray((text("ben_bank") != _OWN_BANK).fill_null(True)
                                                         .to_numpy(), bool))
    for name in ("session_seconds", "login_to_txn_seconds", "typing_cadence_ms"):
        f[name] = s[name].to_list() if name in s else [None] * n
    for name in ("pasted_beneficiary", "on_call", "screen_sharing"):
        f[name] = flag(name)
    present = flag("card_present")
    mcc = np.where(has_card, text("mcc").fill_null("").to_numpy(), "")
    f.update(op_count=np.zeros(n, np.int64), ops_touch_security=np.zeros(n, bool), has_card=has_card,
             card_present=has_card & present, card_cnp=has_card & ~present,
             three_ds=has_card & flag("three_ds"), mcc=mcc, high_risk_mcc=np.isin(mcc, list(HIGH_RISK_MCC)),
             merchant_foreign=has_card & np.asarray(
                 (text("merchant_country").fill_null("CN").replace("", "CN") != "CN").to_numpy(), bool))
    step("event fields")
    # -- entity codes
    customer = text("customer_id")
    cust = _codes(customer)
    acct = _codes(text("account_id"))
    dev = np.where(has_dev, _codes(text("device_fingerprint")), -1)
    ipc = np.where(has_net, _codes(text("ip")), -1)
    ben_key = text("ben_bank").fill_null("") + ":" + text("ben_account").fill_null("")
    ben = np.where(has_ben, _codes(ben_key), -1)
    card = np.where(has_card, _codes(text("card_pan_hash")), -1)
    has_mer = has_card & has("merchant_id")
    mer = np.where(has_mer, _codes(text("merchant_id")), -1)
    for name, g in (("customer", cust), ("account", acct), ("device", dev), ("ip", ipc), ("card", card),
                    ("merchant", mer), ("beneficiary", np.where(out, ben, -1))):
        if n and _window(g, t, DAY, [np.ones(n, np.int64)])[0].max() > RECENT_CAP:
            raise NotExact(f"a {name} has more than {RECENT_CAP} events within 24 hours")
    _customer_features(f, n, t, cday, hour, channel, sub_type, amount, out, small, cash, fail, transfer,
                       card_out, cust, dev, ben, frame, text, has, step)
    _entity_features(f, n, t, amount, out, inflow, small, fail, cust, acct, dev, ipc, ben, card, mer, has_ben,
                     text)
    step("entity windows")
    columns = {name: f.get(name, [default] * n) for name, default in FEATURE_DEFAULTS.items()}
    result = pl.DataFrame({name: (list(v) if isinstance(v, np.ndarray) and v.dtype == object else v)
                           for name, v in columns.items()}, strict=False)
    labels = pl.DataFrame({"_fraud": frame["is_fraud"].fill_null(False) if "is_fraud" in s
                           else pl.Series([False] * n), "_amount_fen": amount, "_channel": channel,
                           "_type": type_col})
    return result.hstack(labels)


# ---------------------------------------------------------------------------------------------- helpers

def _nullable(values: np.ndarray, mask: np.ndarray) -> list[Any]:
    """``values`` where ``mask``, None elsewhere, as Python scalars."""
    listed = values.tolist()
    return [v if m else None for v, m in zip(listed, mask.tolist(), strict=True)]


def _first_time(g: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per row: the time of its entity's first row."""
    order = _sorted_by_entity(g)
    gs = g[order]
    start = np.r_[True, gs[1:] != gs[:-1]] if len(order) else np.zeros(0, bool)
    firsts = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0)) if len(order) else order
    out = np.full(len(g), -1, dtype=np.int64)
    out[order] = t[order][firsts]
    return out


def _last_time(g: np.ndarray, t: np.ndarray, mark: np.ndarray, *, before: bool) -> np.ndarray:
    """Per row: the latest time of a marked row of its entity (before it, or up to it); −1 if none."""
    order = _sorted_by_entity(g)
    gs = g[order]
    value = np.where(mark[order], gs * _SHIFT + t[order], gs * _SHIFT - 1)
    running = np.maximum.accumulate(value) if len(order) else value
    if before:
        same = np.r_[False, gs[1:] == gs[:-1]] if len(order) else np.zeros(0, bool)
        running = np.where(same, np.r_[gs[:1] * _SHIFT - 1, running[:-1]], gs * _SHIFT - 1)
    out = np.full(len(g), -1, dtype=np.int64)
    found = running >= gs * _SHIFT
    out[order[found]] = running[found] - gs[found] * _SHIFT
    return out


def _prior_count(g: np.ndarray, k: np.ndarray, k_query: np.ndarray, width: int) -> np.ndarray:
    """Per row: earlier rows of the same entity whose key ``k`` equals this row's ``k_query``."""
    n = len(g)
    big = np.int64(n + 1)
    key = np.sort((g * width + k) * big + np.arange(n))
    query = (g * width + k_query) * big
    found = np.searchsorted(key, query + np.arange(n), side="left") - np.searchsorted(key, query, side="left")
    return np.asarray(found, dtype=np.int64)


def _pair_history(g: np.ndarray, v: np.ndarray, present: np.ndarray, t: np.ndarray) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """Per sighting row of a pair: the previous sighting's time (−1), sightings before, first time."""
    n = len(g)
    rows, pair = _pairs(g, v, present)
    prev_t, before = _previous(rows, pair, t, n)
    same = np.r_[False, pair[1:] == pair[:-1]] if len(rows) else np.zeros(0, bool)
    starts = np.flatnonzero(~same)
    first = np.full(n, -1, dtype=np.int64)
    if len(rows):
        first[rows] = np.repeat(t[rows[starts]], np.diff(np.r_[starts, len(rows)]))
    return prev_t, before, first


def _known(prev_t: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (prev_t >= 0) & (prev_t > t - KEEP)


def _haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """``geo.haversine_km`` over arrays, operation for operation (rounded by Python's ``round`` after)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a))), dtype=np.float64)


def _customer_features(f: dict[str, Any], n: int, t: np.ndarray, cday: np.ndarray, hour: np.ndarray,
                       channel: np.ndarray, sub_type: np.ndarray, amount: np.ndarray, out: np.ndarray,
                       small: np.ndarray, cash: np.ndarray, fail: np.ndarray, transfer: np.ndarray,
                       card_out: np.ndarray, cust: np.ndarray, dev: np.ndarray, ben: np.ndarray, frame: Any,
                       text: Callable[[str], Any], has: Callable[[str], np.ndarray],
                       step: Callable[[str], None]) -> None:
    ones = np.ones(n, np.int64)
    (o5,) = _window(cust, t, 300, [out])
    o1, s1, sm1, t1, k1, fl1 = _window(cust, t, 3600, [out, out * amount, small, transfer, card_out, fail])
    o24, s24, c24, cs24, fl24 = _window(cust, t, DAY, [out, out * amount, cash, cash * amount, fail])
    c7, s7 = _window(cust, cday, 7, [out, out * amount])
    (s30,) = _window(cust, cday, 30, [out * amount])
    (count,) = _window(cust, t, _EVER, [ones])
    previous = count - 1
    known = previous > 0
    f.update(cust_known=known, cust_age_days=(t - _first_time(cust, t)) // DAY, cust_event_count=previous,
             cust_out_count_5m=o5, cust_out_count_1h=o1, cust_out_count_24h=o24,
             cust_out_sum_1h_yuan=s1 // 100,
             cust_out_sum_24h_yuan=s24 // 100, cust_out_count_7d=c7, cust_out_sum_7d_yuan=s7 // 100,
             cust_out_sum_30d_yuan=s30 // 100, cust_small_count_1h=sm1, cust_cash_count_24h=c24,
             cust_cash_sum_24h_yuan=cs24 // 100, cust_transfer_count_1h=t1, cust_card_count_1h=k1,
             cust_login_fail_1h=fl1, cust_login_fail_24h=fl24)
    last = _last_time(cust, t, np.ones(n, bool), before=True)
    f["minutes_since_last"] = _nullable((t - last) // 60, known)
    # remembered values: channel, device, beneficiary (outflows), city, IP
    gps, ipgeo = has("gps_lat"), has("ipgeo_lat")
    gps_city, ip_city = text("gps_city"), text("ipgeo_city")
    city_text = np.where(gps & has("gps_city"), gps_city.fill_null("").to_numpy(),
                         np.where(ipgeo & has("ipgeo_city"), ip_city.fill_null("").to_numpy(), ""))
    import polars as pl

    city = np.where(city_text != "", _codes(pl.Series(city_text.astype(str))), -1)
    chan = _codes(frame["channel"])
    ipc = np.where(has("ip"), _codes(text("ip")), -1)
    ben_out = np.where(out, ben, -1)
    maps = {"dev": _Map("dev", cust, dev, dev >= 0, t, (DAY, KEEP)),
            "ben": _Map("ben", cust, ben_out, ben_out >= 0, t, (DAY,), (DAY,)),
            "city": _Map("city", cust, city, city >= 0, t, (DAY,)),
            "ip": _Map("ip", cust, ipc, ipc >= 0, t, (DAY,)),
            "chan": _Map("chan", cust, chan, chan >= 0, t)}
    if len(maps["ben"].heavy):
        raise NotExact(f"a customer paid more than {DISTINCT_CAP} beneficiaries (their counts are pruned)")
    new = {name: (v >= 0) & ~maps[name].known
           for name, v in (("dev", dev), ("ben", ben_out), ("city", city), ("ip", ipc), ("chan", chan))}
    first_dev = maps["dev"].first
    f.update(cust_new_device=new["dev"], cust_new_beneficiary=new["ben"], cust_new_city=new["city"],
             cust_new_channel=new["chan"], cust_new_ip=new["ip"],
             ben_paid_before_count=np.where(maps["ben"].known, maps["ben"].before, 0),
             cust_device_age_minutes=_nullable(np.where(first_dev >= 0, (t - first_dev) // 60, 0), dev >= 0),
             cust_devices_24h=maps["dev"].distinct[DAY], cust_devices_30d=maps["dev"].distinct[KEEP],
             cust_beneficiaries_24h=maps["ben"].distinct[DAY],
             cust_new_beneficiaries_24h=maps["ben"].first_seen[DAY],
             cust_ips_24h=maps["ip"].distinct[DAY], cust_cities_24h=maps["city"].distinct[DAY])
    step("customer windows")
    # habits: the share of the customer's earlier events at this hour (±1) and on this channel
    events = previous
    around = np.zeros(n, dtype=np.int64)
    for d in (-1, 0, 1):
        around += _prior_count(cust, hour, (hour + d) % 24, 24)
    on_channel = _prior_count(cust, chan, chan, int(chan.max()) + 1 if n else 1)
    enough = events >= 10
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(enough, around / np.maximum(events, 1), 1.0)
    f.update(hour_share=_ratio(around, events, 3, enough), unusual_hour=enough & (share < 0.02),
             channel_share=_ratio(on_channel, events, 3, enough))
    # times since the customer's security operations (the operation itself is remembered after it)
    by_feature: dict[str, list[str]] = {}
    for op, feature in TRACKED_OPS.items():
        by_feature.setdefault(feature, []).append(op)
    for feature, ops in by_feature.items():
        best = np.full(n, -1, dtype=np.int64)
        for op in ops:
            mark = sub_type == op
            if not mark.any():
                continue
            then = _last_time(cust, t, mark, before=True)
            minutes = np.maximum(0, (t - then) // 60)
            best = np.where((then >= 0) & ((best < 0) | (minutes < best)), minutes, best)
        f[feature] = _nullable(best, best >= 0)
    _sequential_habits(f, n, t, amount, out, cust, frame, gps, ipgeo)
    step("habits")


def _sequential_habits(f: dict[str, Any], n: int, t: np.ndarray, amount: np.ndarray, out: np.ndarray,
                       cust: np.ndarray, frame: Any, gps: np.ndarray, ipgeo: np.ndarray) -> None:
    """Amount habits (Welford) and geo-velocity: a loop with the engine's own arithmetic."""
    avg: list[Any] = [None] * n
    mx: list[Any] = [None] * n
    to_avg: list[Any] = [None] * n
    to_max: list[Any] = [None] * n
    zscore: list[Any] = [None] * n
    habits: dict[int, list[float]] = {}
    amounts, owners = amount.tolist(), cust.tolist()
    for i in np.flatnonzero(out).tolist():
        a = amounts[i]
        h = habits.get(owners[i])
        if h is None:
            h = habits[owners[i]] = [0, 0.0, 0.0, 0]
        count = int(h[0])
        if count >= 3:
            mean_fen = math.expm1(h[1])
            std = math.sqrt(h[2] / (count - 1))
            avg[i], mx[i] = int(mean_fen) // 100, int(h[3]) // 100
            to_avg[i] = round(a / max(mean_fen, 100.0), 2)
            to_max[i] = round(a / max(h[3], 100), 2)
            zscore[i] = round((math.log1p(a) - h[1]) / max(std, 0.25), 2)
        x = math.log1p(a)
        count += 1
        delta = x - h[1]
        h[1] += delta / count
        h[2] += delta * (x - h[1])
        h[0] = count
        h[3] = max(h[3], a)
    f.update(cust_avg_amount_yuan=avg, cust_max_amount_yuan=mx, amount_to_avg_ratio=to_avg,
             amount_to_max_ratio=to_max, amount_zscore=zscore)
    coords = {c: np.asarray(frame[c].fill_null(0.0).to_numpy(), dtype=np.float64) if c in frame.columns
              else np.zeros(n) for c in ("gps_lat", "gps_lon", "ipgeo_lat", "ipgeo_lon")}
    both = gps & ipgeo
    gps_ip: list[Any] = [None] * n
    apart = _haversine(coords["gps_lat"][both], coords["gps_lon"][both], coords["ipgeo_lat"][both],
                       coords["ipgeo_lon"][both])
    for i, km in zip(np.flatnonzero(both).tolist(), apart.tolist(), strict=True):
        gps_ip[i] = round(km, 1)
    # geo-velocity: against the customer's previous located event
    located = np.flatnonzero(gps | ipgeo)
    lat_ = np.where(gps, coords["gps_lat"], coords["ipgeo_lat"])[located]
    lon_ = np.where(gps, coords["gps_lon"], coords["ipgeo_lon"])[located]
    owner = cust[located]
    order = np.argsort(owner, kind="stable")
    same = np.r_[False, owner[order][1:] == owner[order][:-1]] if len(order) else np.zeros(0, bool)
    here, before = order[same], order[np.flatnonzero(same) - 1]
    km = _haversine(lat_[before], lon_[before], lat_[here], lon_[here])
    minutes = np.maximum(0.0, (t[located][here] - t[located][before]) / 60)
    kmh = km / np.maximum(minutes / 60, 1 / 60)
    km_from: list[Any] = [None] * n
    speed: list[Any] = [None] * n
    impossible = np.zeros(n, bool)
    rows = located[here]
    impossible[rows] = (km >= 100) & (kmh >= 800)
    for i, k, v in zip(rows.tolist(), km.tolist(), kmh.tolist(), strict=True):
        km_from[i], speed[i] = round(k, 1), round(v, 1)
    f.update(gps_ip_km=gps_ip, km_from_last=km_from, speed_kmh=speed, impossible_travel=impossible)


def _entity_features(f: dict[str, Any], n: int, t: np.ndarray, amount: np.ndarray, out: np.ndarray,
                     inflow: np.ndarray, small: np.ndarray, fail: np.ndarray, cust: np.ndarray,
                     acct: np.ndarray, dev: np.ndarray, ipc: np.ndarray, ben: np.ndarray, card: np.ndarray,
                     mer: np.ndarray, has_ben: np.ndarray, text: Callable[[str], Any]) -> None:
    ones = np.ones(n, np.int64)
    on_dev, on_ip = dev >= 0, ipc >= 0
    (dev_count,) = _window(dev, t, _EVER, [ones])
    (dev_out,) = _window(dev, t, 3600, [out])
    dev_customers = _Map("cust", dev, cust, on_dev, t, (DAY, KEEP)).distinct
    f.update(dev_known=on_dev & (dev_count > 1), dev_customers_24h=dev_customers[DAY],
             dev_customers_30d=dev_customers[KEEP], dev_out_count_1h=dev_out)
    ip_out, ip_fail = _window(ipc, t, 3600, [out, fail])
    f.update(ip_customers_24h=_Map("cust", ipc, cust, on_ip, t, (DAY,)).distinct[DAY], ip_out_count_1h=ip_out,
             ip_cards_1h=_Map("card", ipc, card, on_ip & (card >= 0), t, (3600,)).distinct[3600],
             ip_login_fail_1h=ip_fail)
    # the customer's own account: credits, debits, payers, pass-through
    payer = inflow & has_ben
    in_count, in_sum, out_sum = _window(acct, t, DAY, [inflow, inflow * amount, out * amount])
    credit = _last_time(acct, t, inflow, before=False)
    f.update(acct_in_count_24h=in_count, acct_in_sum_24h_yuan=in_sum // 100,
             acct_in_payers_24h=_Map("payer", acct, ben, payer, t, (DAY,)).distinct[DAY],
             acct_out_sum_24h_yuan=out_sum // 100,
             passthrough_ratio=_ratio(out_sum, in_sum, 2, in_sum > 0),
             minutes_since_last_credit=_nullable(np.maximum(0, (t - credit) // 60), credit >= 0),
             acct_age_days=(t - _first_time(acct, t)) // DAY)
    # the beneficiary of an outflow
    paid = np.where(out, ben, -1)
    on_ben = paid >= 0
    payers = _Map("payer", paid, cust, on_ben, t, (DAY, 7 * DAY), (DAY,))
    (ben_count,) = _window(paid, t, _EVER, [ones])
    ben_in, ben_sum = _window(paid, t, DAY, [ones, amount])
    f.update(ben_known=on_ben & (ben_count > 1),
             ben_age_days=np.where(on_ben, (t - _first_time(ben, t)) // DAY, 0),
             ben_in_count_24h=ben_in, ben_in_sum_24h_yuan=ben_sum // 100,
             ben_payers_24h=payers.distinct[DAY], ben_payers_7d=payers.distinct[7 * DAY],
             ben_new_payers_24h=payers.first_seen[DAY])
    # the card and its merchant
    on_card, on_mer = card >= 0, mer >= 0
    country = _codes(text("merchant_country").fill_null("CN").replace("", "CN"))
    (card_count,) = _window(card, t, _EVER, [ones])
    merchants = _Map("mer", card, mer, on_mer, t, (3600,))
    card_out, card_small = _window(card, t, 3600, [out, small])
    mer_small = _window(mer, t, 3600, [small])[0]
    cards = _Map("card", mer, card, on_mer, t, (3600, DAY)).distinct
    f.update(card_new_merchant=on_mer & (card_count > 1) & ~merchants.known, card_count_1h=card_out,
             card_small_count_1h=card_small, card_merchants_1h=merchants.distinct[3600],
             card_countries_24h=_Map("country", card, country, on_card, t, (DAY,)).distinct[DAY],
             mer_cards_1h=cards[3600], mer_cards_24h=cards[DAY], mer_small_count_1h=mer_small)
