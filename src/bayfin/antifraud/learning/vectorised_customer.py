"""The customer's own features in a vectorised pass: windows, distinct values, amount habits and
geo-velocity (see :mod:`bayfin.antifraud.learning.vectorised` for how each state maps to arrays)."""

from __future__ import annotations

import math

import numpy as np

from bayfin.antifraud.engine.features import (
    DAY,
    DISTINCT_CAP,
    KEEP,
    TRACKED_OPS,
)
from bayfin.antifraud.learning.arrays import (
    _EVER,
    NotExact,
    _codes,
    _first_time,
    _forget,
    _haversine,
    _last_time,
    _Map,
    _prior_count,
    _ratio,
    _round,
    _window,
)
from bayfin.antifraud.learning.vectorised_pass import _HABITS, _Pass, _put_windows


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
