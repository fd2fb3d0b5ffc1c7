"""A labelled stream of customers, devices and events with injected fraud, reproducible by seed.

Honest customers live in a city, use one or two phones, a home IP address, a card and a few usual
payees, at their own hours and amounts. On top of that the simulator injects the typologies the
rules target, each labelled with its scenario: account takeover, telecom scam, money mules (fed by
scam victims), card testing, SIM swap, cash-out bursts and limit abuse. One Parquet file per day
(``events-YYYY-MM-DD.parquet``) plus ``customers.parquet``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bayfin.antifraud.engine.eventfile import COLUMNS, polars_schema

CITIES = [
    ("Guangzhou", 23.13, 113.26),
    ("Shenzhen", 22.54, 114.06),
    ("Foshan", 23.02, 113.12),
    ("Dongguan", 23.02, 113.75),
    ("Zhuhai", 22.27, 113.58),
    ("Shantou", 23.35, 116.68),
    ("Zhongshan", 22.52, 113.39),
    ("Huizhou", 23.11, 114.42),
    ("Jiangmen", 22.58, 113.08),
    ("Zhanjiang", 21.27, 110.36),
    ("Shaoguan", 24.81, 113.60),
    ("Meizhou", 24.29, 116.12),
]
FAR_CITIES = [
    ("Beijing", 39.90, 116.40),
    ("Shanghai", 31.23, 121.47),
    ("Harbin", 45.80, 126.53),
    ("Urumqi", 43.83, 87.62),
    ("Kunming", 25.04, 102.71),
]
BANKS = ["BOC", "ICBC", "CCB", "ABC", "BOCOM", "CMB", "GDB", "PAB"]
SCENARIOS = (
    "account_takeover",
    "telecom_scam",
    "money_mule",
    "card_testing",
    "sim_swap",
    "cash_out",
    "limit_abuse",
)
#: Default chance per customer and day that a scenario starts (scaled by ``fraud_rate``).
BASE_RATES = {
    "account_takeover": 0.0008,
    "telecom_scam": 0.0008,
    "money_mule": 0.0004,
    "card_testing": 0.0006,
    "sim_swap": 0.0004,
    "cash_out": 0.0004,
    "limit_abuse": 0.0004,
}


@dataclass
class Customer:
    """One simulated customer and their habits."""

    id: str
    account: str
    city: tuple[str, float, float]
    devices: list[str]
    ip: str
    card: str
    payees: list[tuple[str, str]]
    mean_yuan: float
    events_per_day: float
    peak_hour: float
    sim_age_hours: int
    channels: list[str] = field(default_factory=lambda: ["mobile"])


class Simulator:
    """Generates the customers and one day of events at a time."""

    def __init__(self, customers: int, seed: int, start: datetime, fraud_rate: float = 1.0) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
        self.start = start
        self.rates = {k: v * fraud_rate for k, v in BASE_RATES.items()}
        self.customers = [self._customer(k) for k in range(customers)]
        self.mule_accounts = [f"MULE{k:05d}" for k in range(max(3, customers // 500))]
        self._seq = 0
        self.rows: list[dict[str, Any]] = []

    # -- population -----------------------------------------------------------------------
    def _customer(self, k: int) -> Customer:
        r = self.rng
        city = r.choice(CITIES)
        payees = [(f"P{k:06d}{j}", r.choice(BANKS)) for j in range(r.randint(1, 5))]
        channels = (
            ["mobile"] + (["online"] if r.random() < 0.4 else []) + (["counter"] if r.random() < 0.2 else [])
        )
        return Customer(
            id=f"C{k:07d}",
            account=f"A{k:07d}",
            city=city,
            devices=[f"D{k:07d}{j}" for j in range(1 + (r.random() < 0.3))],
            ip=f"10.{k // 65536 % 256}.{k // 256 % 256}.{k % 256}",
            card=f"K{k:07d}",
            payees=payees,
            mean_yuan=round(r.lognormvariate(5.5, 1.0), 2),
            events_per_day=r.uniform(0.5, 5.0),
            peak_hour=r.gauss(13, 3),
            sim_age_hours=r.randint(2_000, 60_000),
            channels=channels,
        )

    # -- rows -------------------------------------------------------------------------------
    def _row(
        self,
        c: Customer,
        at: datetime,
        type_code: str,
        amount_yuan: float = 0.0,
        *,
        scenario: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        self._seq += 1
        channel = type_code.split(".", 1)[0]
        lat, lon = fields.pop("lat", c.city[1]), fields.pop("lon", c.city[2])
        city = fields.pop("city", c.city[0])
        row: dict[str, Any] = dict.fromkeys(COLUMNS)
        row.update(
            event_id=f"E{self._seq:010d}",
            occurred_at=at,
            channel=channel,
            type=type_code,
            customer_id=c.id,
            account_id=c.account,
            amount_fen=round(amount_yuan * 100),
            currency="CNY",
            is_fraud=scenario is not None,
            scenario=scenario or "",
        )
        if channel in ("mobile", "online"):
            row.update(
                device_fingerprint=c.devices[0],
                device_os="Android" if channel == "mobile" else "Web",
                device_rooted=False,
                device_emulator=False,
                ip=c.ip,
                proxy=False,
                vpn=False,
                datacentre=False,
                ip_country="CN",
                sim_age_hours=c.sim_age_hours + self._hours(at),
                gps_lat=round(lat + self.rng.uniform(-0.02, 0.02), 5),
                gps_lon=round(lon + self.rng.uniform(-0.02, 0.02), 5),
                gps_city=city,
                ipgeo_lat=lat,
                ipgeo_lon=lon,
                ipgeo_city=city,
                session_seconds=self.rng.randint(30, 600),
                login_to_txn_seconds=self.rng.randint(10, 300),
                typing_cadence_ms=self.rng.randint(120, 350),
                pasted_beneficiary=False,
                on_call=False,
                screen_sharing=False,
            )
        elif channel == "terminal":  # the terminal's own position
            row.update(
                gps_lat=round(lat + self.rng.uniform(-0.05, 0.05), 5),
                gps_lon=round(lon + self.rng.uniform(-0.05, 0.05), 5),
                gps_city=city,
            )
        row.update(fields)
        self.rows.append(row)
        return row

    def _hours(self, at: datetime) -> int:
        return int((at - self.start).total_seconds() // 3600)

    def _at(self, day: datetime, c: Customer) -> datetime:
        hour = min(23.99, max(0.0, self.rng.gauss(c.peak_hour, 3)))
        return day + timedelta(hours=hour) - timedelta(hours=8)  # local hours → UTC

    def _amount(self, c: Customer, factor: float = 1.0) -> float:
        return round(max(1.0, self.rng.gauss(c.mean_yuan, c.mean_yuan / 3)) * factor, 2)

    # -- honest behaviour --------------------------------------------------------------------
    def _honest(self, c: Customer, day: datetime) -> None:
        r = self.rng
        for _ in range(self._poisson(c.events_per_day)):
            at = self._at(day, c)
            kind = r.random()
            channel = r.choice(c.channels)
            if kind < 0.35:
                account, bank = r.choice(c.payees)
                channel = "mobile" if channel == "counter" else channel
                self._row(
                    c,
                    at,
                    f"{channel}.transfer.{'intra_bank' if bank == 'BOC' else 'inter_bank'}",
                    self._amount(c),
                    ben_account=account,
                    ben_bank=bank,
                )
            elif kind < 0.55:
                sub = r.choice(["utility_bill", "merchant_qr", "online_shopping", "mobile_topup"])
                self._row(c, at, f"mobile.payment.{sub}", self._amount(c, 0.5))
            elif kind < 0.75:
                self._row(
                    c,
                    at,
                    "terminal.card.pos_chip",
                    self._amount(c, 0.6),
                    card_pan_hash=c.card,
                    card_present=True,
                    merchant_id=f"M{r.randint(0, 4999):05d}",
                    mcc="5411",
                )
            elif kind < 0.80:
                self._row(
                    c,
                    at,
                    "online.card.cnp_ecommerce",
                    self._amount(c, 0.4),
                    card_pan_hash=c.card,
                    card_present=False,
                    three_ds=True,
                    merchant_id=f"W{r.randint(0, 999):04d}",
                    mcc="5999",
                )
            elif kind < 0.85:
                self._row(
                    c,
                    at,
                    "terminal.cash.atm_withdrawal",
                    round(r.choice([100, 200, 500, 1000]), 2),
                    card_pan_hash=c.card,
                    card_present=True,
                )
            else:
                self._row(c, at, "mobile.auth.login_biometric")

    def _poisson(self, mean: float) -> int:
        # Knuth's method: small means only, which is what daily activity is
        limit, k, p = pow(2.718281828459045, -mean), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    # -- fraud scenarios ---------------------------------------------------------------------
    def _takeover(self, c: Customer, day: datetime) -> None:
        r, s = self.rng, "account_takeover"
        at = self._at(day, c)
        far = r.choice(FAR_CITIES)
        bad: dict[str, Any] = {
            "device_fingerprint": f"X{r.randint(0, 10**6):07d}",
            "ip": f"45.{r.randint(0, 255)}.{r.randint(0, 255)}.9",
            "datacentre": r.random() < 0.5,
            "lat": far[1],
            "lon": far[2],
            "city": far[0],
        }
        for k in range(r.randint(2, 5)):
            self._row(c, at + timedelta(seconds=20 * k), "mobile.auth.login_failed", scenario=s, **bad)
        self._row(c, at + timedelta(minutes=3), "mobile.profile.password_reset", scenario=s, **bad)
        for k in range(r.randint(1, 3)):
            self._row(
                c,
                at + timedelta(minutes=6 + k),
                "mobile.transfer.inter_bank",
                self._amount(c, r.uniform(10, 40)),
                scenario=s,
                ben_account=r.choice(self.mule_accounts),
                ben_bank="CMB",
                login_to_txn_seconds=r.randint(3, 20),
                **bad,
            )

    def _scam(self, c: Customer, day: datetime) -> None:
        r = self.rng
        at = self._at(day, c)
        mule = r.choice(self.mule_accounts)
        for k in range(r.randint(1, 3)):
            self._row(
                c,
                at + timedelta(minutes=9 * k),
                "mobile.transfer.inter_bank",
                max(5000.0, self._amount(c, r.uniform(15, 60))),
                scenario="telecom_scam",
                ben_account=mule,
                ben_bank="CMB",
                on_call=True,
                screen_sharing=r.random() < 0.4,
                session_seconds=r.randint(1500, 4000),
                typing_cadence_ms=r.randint(500, 1200),
                pasted_beneficiary=r.random() < 0.6,
            )

    def _mule(self, c: Customer, day: datetime) -> None:
        r, s = self.rng, "money_mule"
        at = self._at(day, c)
        received = 0.0
        for k in range(r.randint(5, 12)):
            amount = round(r.uniform(2_000, 20_000), 2)
            received += amount
            self._row(
                c,
                at + timedelta(minutes=4 * k),
                "mobile.incoming.credit_received",
                amount,
                scenario=s,
                ben_account=f"V{r.randint(0, 10**6):07d}",
                ben_bank=r.choice(BANKS),
            )
        herder = f"H{r.randint(0, 20):03d}"  # a handful of herder phones run many mule accounts
        self._row(
            c,
            at + timedelta(minutes=70),
            "mobile.transfer.inter_bank",
            round(received * 0.95, 2),
            scenario=s,
            ben_account=f"L2{r.randint(0, 999):04d}",
            ben_bank="PAB",
            device_fingerprint=herder,
        )

    def _card_testing(self, c: Customer, day: datetime) -> None:
        r, s = self.rng, "card_testing"
        at = self._at(day, c)
        ip, shop = f"91.{r.randint(0, 255)}.{r.randint(0, 255)}.7", f"W{r.randint(0, 999):04d}"
        victims = r.sample(self.customers, k=min(len(self.customers), r.randint(5, 15)))
        for k, victim in enumerate(victims):
            self._row(
                victim,
                at + timedelta(seconds=30 * k),
                "online.card.cnp_ecommerce",
                round(r.uniform(0.5, 5), 2),
                scenario=s,
                card_pan_hash=victim.card,
                card_present=False,
                three_ds=False,
                merchant_id=shop,
                mcc="5816",
                ip=ip,
                device_fingerprint=f"T{ip}",
                vpn=True,
            )
        self._row(
            c,
            at + timedelta(minutes=20),
            "online.card.cnp_digital_goods",
            self._amount(c, r.uniform(10, 30)),
            scenario=s,
            card_pan_hash=c.card,
            card_present=False,
            three_ds=False,
            merchant_id=shop,
            mcc="5816",
            ip=ip,
            device_fingerprint=f"T{ip}",
            vpn=True,
        )

    def _sim_swap(self, c: Customer, day: datetime) -> None:
        r, s = self.rng, "sim_swap"
        at = self._at(day, c)
        fresh: dict[str, Any] = {
            "sim_age_hours": r.randint(1, 20),
            "device_fingerprint": f"S{r.randint(0, 10**6):07d}",
        }
        self._row(c, at, "mobile.auth.login_sms_otp", scenario=s, **fresh)
        self._row(c, at + timedelta(minutes=2), "mobile.profile.password_reset", scenario=s, **fresh)
        self._row(
            c,
            at + timedelta(minutes=5),
            "mobile.transfer.inter_bank",
            self._amount(c, r.uniform(8, 30)),
            scenario=s,
            ben_account=r.choice(self.mule_accounts),
            ben_bank="CMB",
            **fresh,
        )

    def _cash_out(self, c: Customer, day: datetime) -> None:
        r = self.rng
        at = self._at(day, c)
        far = r.choice(FAR_CITIES)
        for k in range(r.randint(5, 9)):
            self._row(
                c,
                at + timedelta(minutes=6 * k),
                "terminal.cash.atm_withdrawal",
                2000.0,
                scenario="cash_out",
                card_pan_hash=c.card,
                card_present=True,
                lat=far[1],
                lon=far[2],
                city=far[0],
            )

    def _limit_abuse(self, c: Customer, day: datetime) -> None:
        r, s = self.rng, "limit_abuse"
        at = self._at(day, c)
        self._row(c, at, "mobile.limits.daily_limit_raise", scenario=s)
        self._row(
            c,
            at + timedelta(minutes=r.randint(2, 25)),
            "mobile.transfer.large_value",
            max(50_000.0, self._amount(c, 50)),
            scenario=s,
            ben_account=f"N{r.randint(0, 10**6):07d}",
            ben_bank="GDB",
        )

    def day(self, index: int) -> list[dict[str, Any]]:
        """Every event of day ``index`` (local calendar day), honest and fraudulent, in time order."""
        self.rows = []
        day = self.start + timedelta(days=index)
        inject: dict[str, Callable[[Customer, datetime], None]] = {
            "account_takeover": self._takeover,
            "telecom_scam": self._scam,
            "money_mule": self._mule,
            "card_testing": self._card_testing,
            "sim_swap": self._sim_swap,
            "cash_out": self._cash_out,
            "limit_abuse": self._limit_abuse,
        }
        for c in self.customers:
            self._honest(c, day)
            for name, rate in self.rates.items():
                if self.rng.random() < rate:
                    inject[name](c, day)
        rows = sorted(self.rows, key=lambda row: row["occurred_at"])
        self.rows = []
        return rows


def simulate(
    out: Path,
    *,
    customers: int,
    days: int,
    seed: int,
    start: datetime | None = None,
    fraud_rate: float = 1.0,
    on_day: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write ``customers.parquet`` and one ``events-<date>.parquet`` per day under ``out``."""
    import polars as pl

    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    out.mkdir(parents=True, exist_ok=True)
    sim = Simulator(customers, seed, start, fraud_rate)
    pl.DataFrame(
        [
            {
                "customer_id": c.id,
                "account_id": c.account,
                "city": c.city[0],
                "devices": len(c.devices),
                "mean_amount_yuan": c.mean_yuan,
                "events_per_day": round(c.events_per_day, 3),
            }
            for c in sim.customers
        ]
    ).write_parquet(out / "customers.parquet")
    total = fraud = 0
    by_scenario: dict[str, int] = {}
    schema = polars_schema()
    for index in range(days):
        rows = sim.day(index)
        frame = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
        frame.write_parquet(out / f"events-{(start + timedelta(days=index)).date().isoformat()}.parquet")
        total += frame.height
        for row in rows:
            if row["is_fraud"]:
                fraud += 1
                by_scenario[row["scenario"]] = by_scenario.get(row["scenario"], 0) + 1
        if on_day is not None:
            on_day(index, len(rows))
    return {
        "profile": "bank",
        "customers": customers,
        "days": days,
        "seed": seed,
        "events": total,
        "fraud_events": fraud,
        "fraud_share": round(fraud / total, 5) if total else 0.0,
        "by_scenario": dict(sorted(by_scenario.items())),
    }
