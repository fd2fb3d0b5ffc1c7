"""Jinja filters: money in fen shown as yuan, dates, and a record's value cells."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bayfin.kernel.money import fen_to_yuan


def yuan(fen: int | None) -> str:
    """Integer fen as yuan with thousands separators (``1234567`` → ``12,345.67``)."""
    if fen is None:
        return "—"
    return f"{fen_to_yuan(int(fen)):,.2f}"


def when(value: date | datetime | str | None) -> str:
    """A date, or a time to the minute."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cell(name: str, value: Any) -> str:
    """One value of a record, by field name (``*_fen`` is money)."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(cell(name, v) for v in value)
    if name.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if isinstance(value, (date, datetime)):
        return when(value)
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def label(name: str) -> str:
    """A field name for people: money fields say they are in yuan (``arrears_fen`` → ``arrears (元)``)."""
    if name.endswith("_fen"):
        return name.removesuffix("_fen").replace("_", " ") + " (元)"
    return name.replace("_", " ")


def install(env: Any) -> None:
    """Register the filters on a Jinja environment."""
    env.filters["label"] = label
    env.filters["yuan"] = yuan
    env.filters["when"] = when
    env.filters["cell"] = cell
