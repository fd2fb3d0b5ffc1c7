"""The marketplace's configuration: the service window and the public-holiday calendar.

The holidays default to the PRC statutory holidays that fall on weekdays in 2025 and 2026 (国务院办公厅
节假日安排); ``BAYFIN_FINANCING_HOLIDAYS`` (ISO dates, comma-separated) replaces them and
``BAYFIN_FINANCING_SERVICE_DAYS`` changes the window (5 working days); both are read through the
module's settings section, :class:`~bayfin.financing.settings.FinancingSettings`. Make-up working
Saturdays (调休) are not counted as working days, which only ever gives the bank more time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bayfin.financing.book import ProductBook
from bayfin.financing.domain import SERVICE_WINDOW_WORKING_DAYS, parse_holidays
from bayfin.financing.settings import FinancingSettings


def _span(first: date, days: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(days)]


DEFAULT_HOLIDAYS: frozenset[date] = frozenset([
    date(2025, 1, 1), *_span(date(2025, 1, 28), 8), *_span(date(2025, 4, 4), 3),
    *_span(date(2025, 5, 1), 5), *_span(date(2025, 5, 31), 3), *_span(date(2025, 10, 1), 8),
    *_span(date(2026, 1, 1), 3), *_span(date(2026, 2, 15), 9), *_span(date(2026, 4, 4), 3),
    *_span(date(2026, 5, 1), 5), *_span(date(2026, 6, 19), 3), *_span(date(2026, 9, 25), 3),
    *_span(date(2026, 10, 1), 7),
])


@dataclass(frozen=True)
class FinancingConfig:
    """How long banks have to respond, and which days are not working days."""

    holidays: frozenset[date] = field(default=DEFAULT_HOLIDAYS)
    service_window_days: int = SERVICE_WINDOW_WORKING_DAYS

    @classmethod
    def from_settings(cls, settings: FinancingSettings) -> FinancingConfig:
        """The configuration from the module's validated settings section (empty holidays: the
        defaults)."""
        holidays = parse_holidays(settings.holidays) if settings.holidays else DEFAULT_HOLIDAYS
        return cls(holidays=holidays, service_window_days=settings.service_days)


#: Each product's (name, type) by id, for showing matches.
Labels = dict[str, tuple[str, str]]


@dataclass(frozen=True)
class ActiveProducts:
    """The active products as a column-wise book, with each product's name and type for display."""

    book: ProductBook
    labels: Labels


class ProductBookCache:
    """The active-product book, kept per process and rebuilt only when the products change.

    Callers pass a cheap version key read from the database (count and latest change of the active
    products), so a change made by any process is seen on the next match.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Hashable | None = None
        self._value: ActiveProducts | None = None

    def get(self, key: Hashable, build: Callable[[], ActiveProducts]) -> ActiveProducts:
        """The cached book when ``key`` is unchanged, else a freshly built one."""
        with self._lock:
            if self._value is not None and self._key == key:
                return self._value
        value = build()
        with self._lock:
            self._key, self._value = key, value
        return value


@dataclass
class FinancingRuntime:
    """What the marketplace keeps on the platform (under ``wiring.FINANCING``): its configuration and
    the per-process product-book cache."""

    config: FinancingConfig = field(default_factory=FinancingConfig)
    books: ProductBookCache = field(default_factory=ProductBookCache)
