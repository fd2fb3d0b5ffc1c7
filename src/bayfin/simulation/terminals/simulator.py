"""A reproducible fleet of Zhuhai pharmacy and hospital terminals publishing telemetry over MQTT, with
planted faults (moved, dead, after-hours use) whose serials the report lists so detection can be checked."""

from __future__ import annotations

import heapq
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bayfin.integrations.mqtt_terminals import make_client
from bayfin.terminals import domain as d
from bayfin.terminals import repository as repo
from bayfin.terminals.service import TOPIC_ROOT, TerminalsService, encode_signed

#: Zhuhai's districts (Xiangzhou, Jinwan, Doumen, Hengqin) as (lat, lon, spread in degrees).
DISTRICTS = [(22.270, 113.560, 0.035), (22.225, 113.535, 0.020), (22.135, 113.350, 0.040),
             (22.200, 113.290, 0.040), (22.125, 113.530, 0.020)]
MODELS = ["PAX-A920", "Newland-N910", "Landi-A8", "Centerm-K9"]
BANKS = ["ICBC", "CCB", "BOC", "ABC", "CGB"]
#: A terminal's normal reporting interval; the benchmark multiplies the rate by ten.
NORMAL_INTERVAL_S = 30.0
FAULTS = ("moved", "dead", "after_hours")


@dataclass(frozen=True)
class SimSite:
    """A generated site."""

    code: str
    kind: str
    lat: float
    lon: float
    opening_hours: dict[str, list[list[str]]]


@dataclass(frozen=True)
class SimTerminal:
    """A generated terminal, its site and its planted fault (if any)."""

    serial: str
    site: SimSite
    model: str
    bank: str
    fault: str | None


@dataclass
class Fleet:
    """The generated sites and terminals for one seed."""

    seed: int
    sites: list[SimSite]
    terminals: list[SimTerminal]

    def faulty(self, fault: str) -> list[str]:
        """Serials with a given planted fault."""
        return [t.serial for t in self.terminals if t.fault == fault]


def _hours_closed_at(start: datetime) -> dict[str, list[list[str]]]:
    """Opening hours that ended two hours before ``start`` (local time): the site is closed then."""
    hour = start.astimezone(d.CHINA_TIME).hour
    opens = hour + 2 if hour + 3 <= 23 else hour - 3  # one hour, away from now, never past midnight
    return {str(day): [[f"{opens:02d}:00", f"{opens + 1:02d}:00"]] for day in range(1, 8)}


def build_fleet(terminals: int, seed: int, start: datetime, fault_share: float = 0.01) -> Fleet:
    """Sites (about 0.9 per terminal, one in ten a hospital) and terminals; each fault planted on
    ``fault_share`` of the terminals (at least one each)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible simulation, not secrecy
    site_count = max(2, math.ceil(terminals * 0.9))
    always = {str(day): [["00:00", "24:00"]] for day in range(1, 8)}
    shop = {str(day): [["07:30", "22:30"]] for day in range(1, 8)}
    sites = []
    for i in range(site_count):
        lat0, lon0, spread = rng.choice(DISTRICTS)
        kind = "hospital" if rng.random() < 0.1 else "pharmacy"
        sites.append(SimSite(f"ZH-{seed}-{i:05d}", kind, round(lat0 + rng.uniform(-spread, spread), 6),
                             round(lon0 + rng.uniform(-spread, spread), 6),
                             always if kind == "hospital" else shop))
    per_fault = max(1, round(terminals * fault_share))
    order = list(range(terminals))
    rng.shuffle(order)
    fault_of = {idx: FAULTS[k // per_fault] for k, idx in enumerate(order[:per_fault * len(FAULTS)])}
    fleet = []
    for i in range(terminals):
        site = sites[i % site_count]
        fault = fault_of.get(i)
        if fault == "after_hours":
            site = SimSite(f"ZH-{seed}-N{i:05d}", "pharmacy", site.lat, site.lon, _hours_closed_at(start))
            sites.append(site)
        fleet.append(SimTerminal(f"ZH{seed:03d}{i:06d}", site, rng.choice(MODELS), rng.choice(BANKS), fault))
    return Fleet(seed, sites, fleet)


def register_fleet(session: Session, service: TerminalsService, fleet: Fleet, now: datetime,
                   progress: Callable[[int], None] | None = None) -> dict[str, str]:
    """Register the fleet's sites and terminals (skipping those already there) and provision each
    terminal with its profile secret; returns each serial's device key."""
    profile_key = f"sim-{fleet.seed}"
    if repo.profile(session, profile_key) is None:
        service.create_profile(session, profile_key, "ICBC", now)
    secret = service.profile_secret(profile_key)
    for site in fleet.sites:
        if repo.site_by_code(session, site.code) is None:
            service.create_site(session, code=site.code, name=f"{site.kind} {site.code}", kind=site.kind,
                                licence=f"LIC-{site.code}", lat=site.lat, lon=site.lon,
                                geofence_m=300 if site.kind == "hospital" else 150,
                                opening_hours=site.opening_hours, now=now)
    keys = {}
    for n, term in enumerate(fleet.terminals, 1):
        if repo.terminal_by_serial(session, term.serial) is None:
            service.register_terminal(session, serial=term.serial, model=term.model, firmware="2.4.1",
                                      site_code=term.site.code, bank_id=term.bank, profile_key=profile_key)
        nonce = f"{fleet.seed:08d}{n:08d}{os.urandom(4).hex()}"  # each provisioning nonce is used once
        result = service.provision(session, {"serial": term.serial, "profile": profile_key, "nonce": nonce,
                                             "signature": d.sign(secret, f"{term.serial}:{nonce}")}, now)
        assert result.device_key is not None
        keys[term.serial] = result.device_key
        if progress is not None and n % 100 == 0:
            progress(100)
    session.flush()
    return keys


@dataclass
class SimReport:
    """What the simulator published."""

    published: int = 0
    seconds: float = 0.0
    #: Publication time of each terminal's first faulty message, for detection latency.
    first_fault_at: dict[str, float] = field(default_factory=dict)


@dataclass
class _State:
    counter: int = 0
    rng: random.Random = field(default_factory=random.Random)


def _message(term: SimTerminal, state: _State, now: float, seq: int) -> dict[str, Any]:
    rng = state.rng
    open_now = d.is_open(term.site.opening_hours, datetime.fromtimestamp(now, d.CHINA_TIME))
    sales = 1 if open_now and rng.random() < 0.25 else 0
    if term.fault == "after_hours":
        sales = 1  # selling while its site is closed
    state.counter += sales
    body: dict[str, Any] = {"ts": now, "seq": seq, "txn_counter": state.counter, "firmware": "2.4.1"}
    if sales:
        body["txn"] = {"count": sales, "site": term.site.code}
    if seq % 5 == 1 or term.fault == "moved":
        if term.fault == "moved":  # carried 3-8 km away, seen with a good GPS fix
            bearing, dist = rng.uniform(0, 2 * math.pi), rng.uniform(3_000, 8_000)
            lat = term.site.lat + dist * math.cos(bearing) / 111_320
            lon = term.site.lon + dist * math.sin(bearing) / (111_320 * math.cos(math.radians(term.site.lat)))
            body["position"] = {"lat": lat, "lon": lon, "accuracy_m": rng.randint(5, 30), "source": "gps"}
        elif rng.random() < 0.2:  # indoors: a coarse cell fix, honest about its uncertainty
            body["position"] = {"lat": term.site.lat + rng.uniform(-0.004, 0.004),
                                "lon": term.site.lon + rng.uniform(-0.004, 0.004),
                                "accuracy_m": rng.randint(500, 1500), "source": "cell"}
        else:
            body["position"] = {"lat": term.site.lat + rng.uniform(-0.0001, 0.0001),
                                "lon": term.site.lon + rng.uniform(-0.0001, 0.0001),
                                "accuracy_m": rng.randint(5, 25), "source": rng.choice(["gps", "wifi"])}
    return body


def run(url: str, fleet: Fleet, keys: dict[str, str], *, seconds: float, rate: float = 1.0,
        client_id: str = "bayfin-terminals-sim", progress: Callable[[int], None] | None = None) -> SimReport:
    """Publish each terminal's telemetry every ``NORMAL_INTERVAL_S / rate`` seconds for ``seconds``
    (dead terminals send one message, then nothing)."""
    interval = NORMAL_INTERVAL_S / rate
    rng = random.Random(fleet.seed)  # noqa: S311 - reproducible simulation, not secrecy
    states = {t.serial: _State(rng=random.Random(rng.random())) for t in fleet.terminals}  # noqa: S311
    client = make_client(url, client_id)
    start = time.monotonic()
    due = [(start + rng.uniform(0, interval), i, 0) for i in range(len(fleet.terminals))]
    heapq.heapify(due)
    report = SimReport()
    try:
        while due:
            at, i, seq = due[0]
            if at - start > seconds:
                break
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, 0.05))
                continue
            heapq.heappop(due)
            term = fleet.terminals[i]
            wall = time.time()
            body = _message(term, states[term.serial], wall, seq + 1)
            client.publish(f"{TOPIC_ROOT}/{term.serial}/telemetry", encode_signed(keys[term.serial], body),
                           qos=1)
            report.published += 1
            if term.fault in ("moved", "after_hours"):
                report.first_fault_at.setdefault(term.serial, wall)
            if progress is not None:
                progress(1)
            if term.fault != "dead":
                heapq.heappush(due, (at + interval, i, seq + 1))
    finally:
        client.loop_stop()
        client.disconnect()
    report.seconds = time.monotonic() - start
    return report
