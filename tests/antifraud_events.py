"""Event builders shared by the anti-fraud tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bayfin.antifraud.engine.events import FraudEvent

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Guangzhou, a Monday
GUANGZHOU = {"lat": 23.13, "lon": 113.26, "city": "Guangzhou"}
BEIJING = {"lat": 39.90, "lon": 116.40, "city": "Beijing"}


def event_data(n: int = 0, *, minutes: float | None = None, **fields: Any) -> dict[str, Any]:
    """A plain mobile inter-bank transfer of 500 yuan by customer c1 on their usual device, as JSON data."""
    at = T0 + timedelta(minutes=n if minutes is None else minutes)
    data: dict[str, Any] = {
        "event_id": f"ev-{n}", "occurred_at": at.isoformat(), "channel": "mobile",
        "type": "mobile.transfer.inter_bank", "customer_id": "c1", "account_id": "a1", "amount_fen": 50_000,
        "beneficiary": {"account": "friend-1", "bank_code": "ICBC"},
        "device": {"fingerprint": "phone-1", "os": "Android 15", "model": "Pixel"},
        "network": {"ip": "10.1.1.1", "carrier": "China Mobile"},
        "location": {"gps": GUANGZHOU, "ip_geo": GUANGZHOU},
        "behaviour": {"session_seconds": 120, "login_to_transaction_seconds": 60, "typing_cadence_ms": 180},
    }
    data.update(fields)
    return data


def event(n: int = 0, **fields: Any) -> FraudEvent:
    """:func:`event_data` validated into an event."""
    return FraudEvent.model_validate(event_data(n, **fields))


def history(days: int = 20, per_day: int = 2, **fields: Any) -> list[FraudEvent]:
    """A customer's ordinary past: small transfers to a known friend on the usual phone, days before T0."""
    events = []
    n = 0
    for day in range(days, 0, -1):
        for k in range(per_day):
            n += 1
            events.append(event(-100000 - n, minutes=-day * 1440 + k * 90,
                                **{"event_id": f"hist-{fields.get('customer_id', 'c1')}-{n}", **fields}))
    return events
