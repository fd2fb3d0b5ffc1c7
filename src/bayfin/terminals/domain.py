"""Pure compliance rules for card terminals (社保/医保支付终端): no database, no I/O.

Each rule takes plain data and returns either ``None`` (compliant) or a :class:`Finding` with a
severity and the evidence an operator needs to judge it. Alarm states follow ThingsBoard: an alarm is
active or cleared, and independently acknowledged or not.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Any

#: Zhuhai keeps China Standard Time all year (no daylight saving), so a fixed offset is exact.
CHINA_TIME = timezone(timedelta(hours=8), "CST")
EARTH_RADIUS_M = 6_371_008.8


class Severity(enum.StrEnum):
    """How urgent an alarm is, in ThingsBoard's vocabulary."""

    critical = "CRITICAL"
    major = "MAJOR"
    minor = "MINOR"
    warning = "WARNING"


class Rule(enum.StrEnum):
    """The compliance rules, one alarm type each."""

    offline = "offline"
    geofence = "geofence"
    after_hours = "after_hours"
    cross_site = "cross_site"
    txn_spike = "txn_spike"
    non_medical = "non_medical"
    tamper = "tamper"


class AlarmStatus(enum.StrEnum):
    """The four ThingsBoard alarm states: active/cleared × acknowledged/unacknowledged."""

    active_unack = "ACTIVE_UNACK"
    active_ack = "ACTIVE_ACK"
    cleared_unack = "CLEARED_UNACK"
    cleared_ack = "CLEARED_ACK"


def alarm_status(*, cleared: bool, acknowledged: bool) -> AlarmStatus:
    """The combined state of an alarm's two independent flags."""
    if cleared:
        return AlarmStatus.cleared_ack if acknowledged else AlarmStatus.cleared_unack
    return AlarmStatus.active_ack if acknowledged else AlarmStatus.active_unack


@dataclass(frozen=True)
class Finding:
    """A rule's verdict that something is wrong: the rule, how bad, and why."""

    rule: Rule
    severity: Severity
    evidence: dict[str, Any] = field(default_factory=dict)


# --- credentials -------------------------------------------------------------------------------

def derive_secret(master: bytes, purpose: str) -> str:
    """A secret derived from the module's master key (so it need not be stored in clear)."""
    return hmac.new(master, purpose.encode(), hashlib.sha256).hexdigest()


def sign(key: str, message: str) -> str:
    """HMAC-SHA256 of ``message`` under a hex/text key: how terminals prove who they are."""
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_valid(key: str, message: str, signature: str) -> bool:
    """Constant-time check of a signature made with :func:`sign`."""
    return hmac.compare_digest(sign(key, message), signature or "")


def seal_key(profile_secret: str, nonce: str, key_hex: str) -> str:
    """A device key masked for its way back over MQTT, where any client could read the answer topic:
    XOR with HMAC(profile secret, nonce), which only the device that sent the nonce can rebuild.
    The same call with the sealed key opens it."""
    mask = hmac.new(profile_secret.encode(), f"seal:{nonce}".encode(), hashlib.sha256).digest()
    raw = bytes.fromhex(key_hex)
    if len(raw) != len(mask):
        raise ValueError("a device key is 32 bytes")
    return bytes(a ^ b for a, b in zip(raw, mask, strict=True)).hex()


# --- geometry ----------------------------------------------------------------------------------

def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Fix:
    """A position report: where the terminal thinks it is and how sure it is (accuracy radius)."""

    lat: float
    lon: float
    accuracy_m: float
    source: str  # gps | cell | wifi


@dataclass(frozen=True)
class SiteView:
    """What the rules need of a site."""

    site_id: str
    code: str
    lat: float
    lon: float
    geofence_m: float
    opening_hours: Mapping[str, Sequence[Sequence[str]]]


def check_geofence(site: SiteView, fix: Fix) -> Finding | None:
    """Outside only when even the nearest point of the fix's accuracy circle lies beyond the fence,
    so a coarse cell fix never raises an alarm on its own uncertainty."""
    distance = distance_m(site.lat, site.lon, fix.lat, fix.lon)
    if distance - fix.accuracy_m <= site.geofence_m:
        return None
    beyond = distance - fix.accuracy_m - site.geofence_m
    severity = Severity.critical if beyond > 5_000 else Severity.major
    return Finding(Rule.geofence, severity, {
        "distance_m": round(distance), "accuracy_m": round(fix.accuracy_m), "source": fix.source,
        "geofence_m": round(site.geofence_m), "lat": round(fix.lat, 6), "lon": round(fix.lon, 6)})


def site_seen_at(sites: Iterable[SiteView], fix: Fix) -> SiteView | None:
    """The site whose fence the fix lies in (nearest first), or None."""
    best: tuple[float, SiteView] | None = None
    for site in sites:
        d = distance_m(site.lat, site.lon, fix.lat, fix.lon)
        if d <= site.geofence_m + fix.accuracy_m and (best is None or d < best[0]):
            best = (d, site)
    return None if best is None else best[1]


# --- time --------------------------------------------------------------------------------------

def _parse_hhmm(text: str) -> time | None:
    hours, minutes = (int(x) for x in text.split(":"))
    return None if hours == 24 else time(hours, minutes)  # "24:00" means until midnight


def is_open(opening_hours: Mapping[str, Sequence[Sequence[str]]], at: datetime) -> bool:
    """Whether a site is open at ``at``: hours are local (China time), keyed by ISO weekday "1".."7",
    each a list of ``["HH:MM", "HH:MM"]`` intervals ("24:00" closes at midnight)."""
    local = at.astimezone(CHINA_TIME)
    now = local.time()
    for start_text, end_text in opening_hours.get(str(local.isoweekday()), ()):
        start, end = _parse_hhmm(start_text), _parse_hhmm(end_text)
        if start is not None and start <= now and (end is None or now < end):
            return True
    return False


def validate_opening_hours(opening_hours: Mapping[str, Sequence[Sequence[str]]]) -> None:
    """Raise ValueError unless the hours are well-formed."""
    for day, intervals in opening_hours.items():
        if day not in {str(d) for d in range(1, 8)}:
            raise ValueError(f"weekday {day!r} must be 1 (Monday) .. 7 (Sunday)")
        for interval in intervals:
            if len(interval) != 2:
                raise ValueError("an interval is [start, end]")
            start, end = interval
            for text in (start, end):
                h, m = (int(x) for x in text.split(":"))
                if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
                    raise ValueError(f"bad time {text!r}")
            if start >= end:
                raise ValueError(f"interval {start}-{end} ends before it starts")


def check_after_hours(site: SiteView, txn_at: datetime, count: int) -> Finding | None:
    """Transactions while the site is closed."""
    if count <= 0 or is_open(site.opening_hours, txn_at):
        return None
    return Finding(Rule.after_hours, Severity.major, {
        "transactions": count, "local_time": txn_at.astimezone(CHINA_TIME).strftime("%a %H:%M")})


def check_offline(last_seen: datetime | None, now: datetime, timeout: timedelta,
                  *, disconnected: bool = False) -> Finding | None:
    """Silent longer than the timeout, or gone with its MQTT last will."""
    if disconnected:
        return Finding(Rule.offline, Severity.major, {
            "reason": "last_will", "last_seen": None if last_seen is None else last_seen.isoformat()})
    if last_seen is None or now - last_seen <= timeout:
        return None
    silent = int((now - last_seen).total_seconds())
    return Finding(Rule.offline, Severity.critical if silent > 4 * timeout.total_seconds()
                   else Severity.major, {"reason": "timeout", "silent_s": silent,
                                         "timeout_s": int(timeout.total_seconds()),
                                         "last_seen": last_seen.isoformat()})


def check_cross_site(registered: SiteView, booked_site_code: str, seen_at: SiteView | None,
                     count: int) -> Finding | None:
    """Transactions booked for one site from a terminal whose position puts it at another site: a
    terminal carried to another pharmacy, or one booking its sales under another site's name."""
    if count <= 0 or seen_at is None or seen_at.code == booked_site_code:
        return None
    return Finding(Rule.cross_site, Severity.critical, {
        "booked_site": booked_site_code, "registered_site": registered.code,
        "seen_at_site": seen_at.code, "transactions": count})


def check_tamper(flags: Sequence[str]) -> Finding | None:
    """Any tamper switch the device reports (case opened, PIN pad removed…)."""
    if not flags:
        return None
    return Finding(Rule.tamper, Severity.critical, {"flags": sorted(set(flags))})


# --- rates -------------------------------------------------------------------------------------

#: Baseline transaction rate is an exponentially weighted mean, kept as milli-transactions per hour
#: in an integer so the stored state is exact and portable.
BASELINE_WEIGHT = 0.1


def update_baseline(baseline_milli_per_hour: int | None, count: int, seconds: float) -> int:
    """The new baseline after ``count`` transactions over ``seconds``."""
    if seconds <= 0:
        return baseline_milli_per_hour or 0
    observed = count * 3_600_000 / seconds
    if baseline_milli_per_hour is None:
        return round(observed)
    return round(baseline_milli_per_hour + BASELINE_WEIGHT * (observed - baseline_milli_per_hour))


def check_spike(baseline_milli_per_hour: int | None, count: int, seconds: float, *,
                factor: float = 5.0, floor_per_hour: float = 120.0, min_count: int = 5) -> Finding | None:
    """A window whose rate is ``factor`` times the baseline, above a floor and with a few sales at
    least (one sale in a one-minute heartbeat is 60 an hour, but not a spike); no verdict while the
    baseline is still being learnt."""
    if seconds <= 0 or count < min_count or baseline_milli_per_hour is None:
        return None
    rate = count * 3600 / seconds
    base = (baseline_milli_per_hour or 0) / 1000
    if rate < floor_per_hour or rate < factor * max(base, 1.0):
        return None
    return Finding(Rule.txn_spike, Severity.major if rate < 3 * factor * max(base, 1.0)
                   else Severity.critical,
                   {"rate_per_hour": round(rate), "baseline_per_hour": round(base),
                    "window_s": round(seconds),
                    "transactions": count})


@dataclass(frozen=True)
class MedicalTxn:
    """A medical-insurance payment as the social-security-card module booked it (ids only)."""

    txn_id: int
    card_id: str
    site_code: str
    total_minor: int
    at: datetime


def check_non_medical(payments: Sequence[MedicalTxn], *, min_payments: int = 6,
                      round_share: float = 0.6, repeat_cards: int = 2) -> Finding | None:
    """Medical-insurance cards used for what looks like shopping at one site: mostly round amounts
    (gift cards, groceries and cosmetics rung up as medicine ring up as whole hundreds) and the same
    cards paying several times a day (splitting a basket to stay under the per-payment cap)."""
    if len(payments) < min_payments:
        return None
    round_amounts = sum(1 for p in payments if p.total_minor % 10_000 == 0)
    per_card_day: Counter[tuple[str, str]] = Counter(
        (p.card_id, p.at.astimezone(CHINA_TIME).date().isoformat()) for p in payments)
    splitters = sorted({card for (card, _), n in per_card_day.items() if n >= 3})
    share = round_amounts / len(payments)
    if share < round_share and len(splitters) < repeat_cards:
        return None
    return Finding(Rule.non_medical, Severity.major, {
        "payments": len(payments), "round_amount_share": round(share, 2),
        "repeat_cards": len(splitters), "txn_ids": [p.txn_id for p in payments[:20]]})


def group_by_site(payments: Iterable[MedicalTxn]) -> dict[str, list[MedicalTxn]]:
    """Payments per booking site."""
    grouped: dict[str, list[MedicalTxn]] = defaultdict(list)
    for p in payments:
        grouped[p.site_code].append(p)
    return dict(grouped)
