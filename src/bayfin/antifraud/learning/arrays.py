"""Array primitives of the vectorised feature pass (``vectorised.py``): entity codes, prefix-sum
windows over sorted entity runs, presence runs of (entity, value) pairs, the engine's capped maps
re-expressed over arrays, exact roundings, and the column store the pass writes into. Pure numpy and
polars, no feature definitions."""

from __future__ import annotations

import bisect
import heapq
from typing import Any

import numpy as np

from bayfin.antifraud.engine.features import DISTINCT_CAP, KEEP
from bayfin.antifraud.engine.geo import EARTH_RADIUS_KM

_SHIFT = np.int64(1) << np.int64(34)  # relative seconds (and days) stay below 2**34; entity codes below 2**29
_EVER = int(_SHIFT)  # a window span covering the whole history


class NotExact(Exception):
    """An entity reached one of the engine's state caps: only the per-event path gives its features."""


# ---------------------------------------------------------------------------------------------- kernels

def _codes(values: Any) -> np.ndarray:
    """Dense integer codes (0 … distinct − 1) of a polars string series; null (absent entity) is −1.

    An enum of the series' own values, not a categorical: categoricals share one process-wide
    dictionary, so their codes depend on what else is alive and need not be dense."""
    import polars as pl

    series = values.cast(pl.Utf8)
    enum = pl.Enum(series.drop_nulls().unique(maintain_order=True))
    codes = series.cast(enum).to_physical().cast(pl.Int32).fill_null(-1).to_numpy()
    return np.asarray(codes, dtype=np.int32)  # (widened wherever codes enter arithmetic)


_ORDERS: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # one pass's entity orders, by array identity


def _sorted_by_entity(g: np.ndarray) -> np.ndarray:
    """Row numbers of the entity's rows grouped by entity, in row order within each (cached per pass)."""
    cached = _ORDERS.get(id(g))
    if cached is not None and cached[0] is g:
        return cached[1]
    rows = np.flatnonzero(g >= 0)
    # (entity, row) keys are distinct, so the fast unstable sort gives the stable order
    order = rows[np.argsort(g[rows].astype(np.int64) * len(g) + rows)]
    order = order.astype(np.int32) if len(g) < 2 ** 31 else order  # row numbers: half the memory
    _ORDERS[id(g)] = (g, order)  # the array is held, so its id cannot be reused during the pass
    return order


def _forget(*arrays: np.ndarray) -> None:
    """Drop the cached orders of entity arrays whose block is done."""
    for g in arrays:
        _ORDERS.pop(id(g), None)


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
        del key
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
    pair = g[rows].astype(np.int64) * (int(v.max()) + 1 if len(v) else 1) + v[rows]
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


def _runs(g: np.ndarray, rows: np.ndarray, prev_t: np.ndarray, t: np.ndarray, span: int) -> np.ndarray:
    """Per row of the entity: how many values were sighted within (t − span, t]."""
    n = len(g)
    gap = (prev_t[rows] < 0) | (prev_t[rows] <= t[rows] - span)
    start = np.zeros(n, dtype=np.int64)
    start[rows[gap]] = 1
    # a run's sightings are consecutive in ``rows`` and in time order: its last time is its last row's
    run_starts = np.flatnonzero(gap)
    last = t[rows[np.r_[run_starts[1:] - 1, len(rows) - 1]]] if len(rows) else np.zeros(0, np.int64)
    ends = np.sort(g[rows[run_starts]] * _SHIFT + last + span)
    begun = _window(g, t, _EVER, [start])[0]  # every run begun so far
    order = _sorted_by_entity(g)  # searched in entity order, the queries are sorted: far faster
    base = g[order] * _SHIFT
    ended = np.zeros(n, dtype=np.int64)
    ended[order] = (np.searchsorted(ends, base + t[order], side="right")
                    - np.searchsorted(ends, base, side="left"))
    return np.where(g >= 0, begun - ended, 0)


class _Map:
    """A remembered-values map (``state["s"][name]`` in the engine) of entities ``g`` holding values
    ``v``, for all rows."""

    def __init__(self, g: np.ndarray, v: np.ndarray, present: np.ndarray, t: np.ndarray,
                 spans: tuple[int, ...] = (), first_spans: tuple[int, ...] = ()) -> None:
        n = len(g)
        present = present & (g >= 0) & (v >= 0)
        rows, pair = _pairs(g, v, present)
        prev_t, self.before = _previous(rows, pair, t, n)
        self.distinct = {span: _runs(g, rows, prev_t, t, span) for span in spans}
        self.first_seen: dict[int, np.ndarray] = {}
        for span in first_spans:
            flag = np.zeros(n, dtype=np.int64)
            flag[rows[self.before[rows] == 0]] = 1
            self.first_seen[span] = _window(g, t, span, [flag])[0]
        self.known = present & (prev_t >= 0) & (prev_t > t - KEEP)  # seen within 30 days, before this row
        del prev_t
        starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]]) if len(rows) else np.zeros(0, np.int64)
        first = np.full(n, -1, dtype=np.int64)
        if len(rows):
            first[rows] = np.repeat(t[rows[starts]], np.diff(np.r_[starts, len(rows)]))
        self.first = np.where(self.before > 0, first, -1)  # when first seen, before this row (−1: never)
        del first
        pair_entity = pair[starts] // (int(v.max()) + 1 if len(v) else 1)  # sorted: pairs are by entity
        edges = np.flatnonzero(np.r_[True, pair_entity[1:] != pair_entity[:-1], True]) if len(
            pair_entity) else np.zeros(1, np.int64)
        self.heavy = pair_entity[edges[:-1]][np.diff(edges) > DISTINCT_CAP]  # these forget values:
        if len(self.heavy):  # replay the engine's own map for them
            self._replay(g, v, present, t, spans, first_spans)

    def _replay(self, g: np.ndarray, v: np.ndarray, present: np.ndarray, t: np.ndarray,
                spans: tuple[int, ...], first_spans: tuple[int, ...]) -> None:
        """Redo the rows of entities past the cap with the engine's map (``_CappedMap``).

        Their distinct counts are then the smaller of the map's size and the uncapped count already
        computed: the engine always forgets a least recently seen value, so the values it holds are
        the most recent ones, and those seen within a span are either all held or include all held."""
        maps: dict[int, _CappedMap] = {}
        rows = np.flatnonzero(np.isin(g, self.heavy))
        sizes, known, first = [0] * len(rows), [False] * len(rows), [-1] * len(rows)
        new_within: dict[int, list[int]] = {span: [0] * len(rows) for span in first_spans}
        steps = zip(g[rows].tolist(), v[rows].tolist(), t[rows].tolist(), present[rows].tolist(), strict=True)
        for j, (entity, value, now, sighted) in enumerate(steps):
            m = maps.get(entity)
            if m is None:
                m = maps[entity] = _CappedMap()
            if sighted:
                entry = m.entries.get(value)
                if entry is not None:
                    known[j], first[j] = entry[1] > now - KEEP, entry[0]
                m.remember(value, now)
            sizes[j] = len(m.entries)
            for span, counts in new_within.items():
                counts[j] = len(m.firsts) - bisect.bisect_right(m.firsts, now - span)
        sighted_rows = rows[present[rows]]
        self.known[sighted_rows] = np.asarray(known, bool)[present[rows]]
        self.first[sighted_rows] = np.asarray(first, np.int64)[present[rows]]
        for span in spans:
            self.distinct[span][rows] = np.minimum(self.distinct[span][rows], sizes)
        for span, counts in new_within.items():
            self.first_seen[span][rows] = counts


class _CappedMap:
    """One entity's remembered values exactly as ``features._remember`` keeps them, at a logarithm a
    step instead of a scan: past ``DISTINCT_CAP`` values it forgets those unseen for ``KEEP``, then
    the least recently seen (the first inserted among equals, as ``min`` over the dict picks)."""

    def __init__(self) -> None:
        self.entries: dict[int, list[int]] = {}  # value: [first seen, last seen, insertion number]
        self.heap: list[tuple[int, int, int]] = []  # (last seen, insertion number, value); stale kept
        self.firsts: list[int] = []  # the entries' first-seen times, sorted
        self.inserted = 0

    def remember(self, value: int, now: int) -> None:
        """Remember a sighting at ``now`` (never earlier than the previous one)."""
        entry = self.entries.get(value)
        if entry is not None:
            if now > entry[1]:
                entry[1] = now
                heapq.heappush(self.heap, (now, entry[2], value))
            return
        self.inserted += 1
        self.entries[value] = [now, now, self.inserted]
        heapq.heappush(self.heap, (now, self.inserted, value))
        self.firsts.append(now)  # the latest time yet: still sorted
        if len(self.entries) > DISTINCT_CAP:
            while self.heap and self.heap[0][0] <= now - KEEP:
                self._drop(heapq.heappop(self.heap))
            while len(self.entries) > DISTINCT_CAP:
                self._drop(heapq.heappop(self.heap))

    def _drop(self, item: tuple[int, int, int]) -> None:
        last, number, value = item
        entry = self.entries.get(value)
        if entry is not None and entry[1] == last and entry[2] == number:  # else a stale heap item
            del self.entries[value]
            del self.firsts[bisect.bisect_left(self.firsts, entry[0])]


def _round(values: np.ndarray, digits: int) -> np.ndarray:
    """Python's ``round(v, digits)`` of every value.

    Python rounds the exact binary value half to even and returns the double nearest that decimal;
    numpy's ``rint(v·10^d)/10^d`` is the same double unless ``v·10^d`` lies within its own rounding
    error of a half (then the scaled product may round the other way), so those few are redone with
    Python's ``round``. (The division is of an exact integer by an exact power of ten: correctly
    rounded, as Python's conversion of the decimal is.)"""
    values = np.asarray(values, dtype=np.float64)
    scale = 10.0 ** digits
    scaled = values * scale
    with np.errstate(invalid="ignore"):
        out = np.rint(scaled) / scale
        doubt = ~np.isfinite(scaled) | (np.abs(scaled - np.floor(scaled) - 0.5)
                                        <= 1e-9 * np.maximum(1.0, np.abs(scaled)))
    for i in np.flatnonzero(doubt).tolist():
        out[i] = round(float(values[i]), digits)
    return out


def _ratio(num: np.ndarray, den: np.ndarray, digits: int, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """round(num / den, digits) as Python computes it, for the rows where ``valid`` (and that mask)."""
    out = np.zeros(len(num), dtype=np.float64)
    rows = np.flatnonzero(valid)
    a, b = num[rows], den[rows]
    # int64 → float64 is exact below 2**53, and IEEE division is then Python's int / int
    out[rows] = _round(a / b, digits)
    for i in rows[(np.abs(a) >= 2 ** 53) | (np.abs(b) >= 2 ** 53)].tolist():
        out[i] = round(int(num[i]) / int(den[i]), digits)
    return out, valid


def _narrow(series: Any) -> Any:
    """An integer series in the narrowest signed integer type that holds its values (exactly)."""
    import polars as pl

    low, high = series.min(), series.max()
    if low is None:
        return series.cast(pl.Int8)
    for dtype, bound in ((pl.Int8, 2 ** 7), (pl.Int16, 2 ** 15), (pl.Int32, 2 ** 31)):
        if -bound <= low and high < bound:
            return series.cast(dtype)
    return series


def _when(mask: np.ndarray, values: Any, otherwise: Any = None) -> Any:
    """A polars series of ``values`` where ``mask``, ``otherwise`` (default null) elsewhere."""
    import polars as pl

    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(pl.lit(values)).otherwise(pl.lit(otherwise))
                     ).to_series()


# ---------------------------------------------------------------------------------------------- the pass

class _Columns:
    """An event table read from a lazy frame one column at a time, in stable time order (the order a
    sort by ``occurred_at`` keeping ties as they come gives), so the whole table is never in memory."""

    def __init__(self, scan: Any) -> None:
        import polars as pl

        self.scan, self.columns = scan, scan.collect_schema().names()
        epoch = scan.select(pl.col("occurred_at").dt.epoch("us")).collect().to_series()
        times = np.asarray(epoch.fill_null(np.iinfo(np.int64).min).to_numpy(), dtype=np.int64)  # nulls first
        self.height = len(times)
        self.take = None if np.all(np.diff(times) >= 0) else np.argsort(times, kind="stable")

    def keep(self, mask: np.ndarray) -> None:
        """From now on give only the rows (in time order) where ``mask``."""
        rows = np.flatnonzero(mask)
        self.take = rows if self.take is None else self.take[rows]
        self.height = len(rows)

    def __getitem__(self, name: str) -> Any:
        series = self.scan.select(name).collect().to_series()
        return series if self.take is None else series.gather(self.take)


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


def _prior_count(g: np.ndarray, k: np.ndarray, width: int, offsets: tuple[int, ...] = (0,)) -> np.ndarray:
    """Per row of an entity: its earlier rows whose key ``k`` (0 … width − 1) is this row's key plus one
    of ``offsets`` (modulo ``width``), counted with a running count per key value."""
    order = _sorted_by_entity(g)
    gs, ks = g[order], k[order]
    first = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]]) if len(order) else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[first, len(order)])
    total = np.zeros(len(order), dtype=np.int64)
    wanted = np.array([d % width for d in offsets])
    for value in range(width):
        mark = ks == value
        seen = np.cumsum(mark) - mark  # rows with this key before, over all entities in order
        earlier = seen - np.repeat(seen[first], sizes)  # … and since the entity's first row
        asks = np.isin((value - ks) % width, wanted)
        total[asks] += earlier[asks]
    out = np.zeros(len(g), dtype=np.int64)
    out[order] = total
    return out


def _haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """``geo.haversine_km`` over arrays, operation for operation (rounded by ``_round`` after)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a))), dtype=np.float64)
