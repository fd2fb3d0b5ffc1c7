"""Time as an injectable dependency, so rules about timeouts and windows are testable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time (always timezone-aware UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Current UTC time."""
        return datetime.now(UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        """The time the test set."""
        return self._at

    def advance(self, **delta: float) -> None:
        """Move the clock forward by a timedelta's keyword arguments."""
        self._at += timedelta(**delta)

    def set(self, at: datetime) -> None:
        """Jump to a given time."""
        self._at = at


def utcnow() -> datetime:
    """Current UTC time, for defaults where no clock is injected."""
    return datetime.now(UTC)
