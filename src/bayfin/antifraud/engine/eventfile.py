"""Events as flat table rows (Parquet/CSV via polars) and back: the file format of the simulator,
``bayfin fraud replay`` and the offline learning that builds on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bayfin.antifraud.engine.events import FraudEvent

#: The flat columns and their polars type names (labels last; absent values are null).
COLUMNS: dict[str, str] = {
    "event_id": "str",
    "occurred_at": "datetime",
    "channel": "str",
    "type": "str",
    "customer_id": "str",
    "account_id": "str",
    "amount_fen": "int",
    "currency": "str",
    "ben_account": "str",
    "ben_bank": "str",
    "device_fingerprint": "str",
    "device_os": "str",
    "device_rooted": "bool",
    "device_emulator": "bool",
    "ip": "str",
    "proxy": "bool",
    "vpn": "bool",
    "datacentre": "bool",
    "ip_country": "str",
    "sim_age_hours": "int",
    "gps_lat": "float",
    "gps_lon": "float",
    "gps_city": "str",
    "ipgeo_lat": "float",
    "ipgeo_lon": "float",
    "ipgeo_city": "str",
    "session_seconds": "int",
    "login_to_txn_seconds": "int",
    "typing_cadence_ms": "int",
    "pasted_beneficiary": "bool",
    "on_call": "bool",
    "screen_sharing": "bool",
    "card_pan_hash": "str",
    "card_present": "bool",
    "three_ds": "bool",
    "merchant_id": "str",
    "mcc": "str",
    "merchant_country": "str",
    "is_fraud": "bool",
    "scenario": "str",
}


def polars_schema() -> dict[str, Any]:
    """The polars schema of an event table."""
    import polars as pl

    kinds = {
        "str": pl.Utf8,
        "int": pl.Int64,
        "float": pl.Float64,
        "bool": pl.Boolean,
        "datetime": pl.Datetime("us", "UTC"),
    }
    return {name: kinds[kind] for name, kind in COLUMNS.items()}


def event_data_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """The event document (as the API takes it) for one flat row."""
    at = row["occurred_at"]
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    data: dict[str, Any] = {
        "event_id": row["event_id"],
        "occurred_at": at,
        "channel": row["channel"],
        "type": row["type"],
        "customer_id": row["customer_id"],
        "account_id": row["account_id"],
        "amount_fen": int(row["amount_fen"] or 0),
        "currency": row.get("currency") or "CNY",
    }
    if row.get("ben_account"):
        data["beneficiary"] = {"account": row["ben_account"], "bank_code": row["ben_bank"]}
    if row.get("device_fingerprint"):
        data["device"] = {
            "fingerprint": row["device_fingerprint"],
            "os": row.get("device_os"),
            "rooted": bool(row.get("device_rooted")),
            "emulator": bool(row.get("device_emulator")),
        }
    if row.get("ip"):
        data["network"] = {
            "ip": row["ip"],
            "proxy": bool(row.get("proxy")),
            "vpn": bool(row.get("vpn")),
            "datacentre": bool(row.get("datacentre")),
            "ip_country": row.get("ip_country") or "CN",
            "sim_age_hours": row.get("sim_age_hours"),
        }
    location = {}
    if row.get("gps_lat") is not None:
        location["gps"] = {"lat": row["gps_lat"], "lon": row["gps_lon"], "city": row.get("gps_city")}
    if row.get("ipgeo_lat") is not None:
        location["ip_geo"] = {"lat": row["ipgeo_lat"], "lon": row["ipgeo_lon"], "city": row.get("ipgeo_city")}
    if location:
        data["location"] = location
    behaviour = {
        k: row.get(c)
        for k, c in (
            ("session_seconds", "session_seconds"),
            ("login_to_transaction_seconds", "login_to_txn_seconds"),
            ("typing_cadence_ms", "typing_cadence_ms"),
        )
        if row.get(c) is not None
    }
    for flag in ("pasted_beneficiary", "on_call", "screen_sharing"):
        if row.get(flag):
            behaviour[flag] = True
    if behaviour:
        data["behaviour"] = behaviour
    if row.get("card_pan_hash"):
        data["card"] = {
            "pan_hash": row["card_pan_hash"],
            "present": bool(row.get("card_present")),
            "three_ds": bool(row.get("three_ds")),
            "merchant_id": row.get("merchant_id"),
            "mcc": row.get("mcc"),
            "merchant_country": row.get("merchant_country") or "CN",
        }
    return data


def event_from_row(row: dict[str, Any]) -> FraudEvent:
    """Validate one flat row into an event (a malformed row raises, naming the field)."""
    return FraudEvent.model_validate(event_data_from_row(row))


def event_files(path: Path) -> list[Path]:
    """The event tables under ``path`` (a file, or a directory of ``events-*.parquet|csv``), in order."""
    if path.is_file():
        return [path]
    files = sorted(path.glob("events-*.parquet")) or sorted(path.glob("events-*.csv"))
    if not files:
        raise FileNotFoundError(f"no events-*.parquet or events-*.csv under {path}")
    return files


def read_rows(path: Path, batch_size: int = 50_000) -> Iterator[dict[str, Any]]:
    """Stream rows (dicts) from every event table under ``path``, in time order within each file."""
    import polars as pl

    for file in event_files(path):
        frame = (
            pl.read_parquet(file)
            if file.suffix == ".parquet"
            else pl.read_csv(file, schema_overrides=polars_schema(), try_parse_dates=True)
        )
        frame = frame.sort("occurred_at", maintain_order=True)
        for offset in range(0, frame.height, batch_size):
            yield from frame.slice(offset, batch_size).iter_rows(named=True)


def read_frame(path: Path) -> Any:
    """Every event table under ``path`` as one polars frame, in the order ``read_rows`` yields them."""
    import polars as pl

    frames = []
    for file in event_files(path):
        frame = (
            pl.read_parquet(file)
            if file.suffix == ".parquet"
            else pl.read_csv(file, schema_overrides=polars_schema(), try_parse_dates=True)
        )
        frames.append(frame.sort("occurred_at", maintain_order=True))
    return pl.concat(frames, how="diagonal_relaxed")


def count_rows(path: Path) -> int:
    """How many events the tables under ``path`` hold (for progress bars)."""
    import polars as pl

    total = 0
    for file in event_files(path):
        scan = pl.scan_parquet(file) if file.suffix == ".parquet" else pl.scan_csv(file)
        total += int(scan.select(pl.len()).collect().item())
    return total
