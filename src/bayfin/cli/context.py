"""How CLI commands get the platform: built from settings, disposed on exit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bayfin.kernel.logging import configure_logging
from bayfin.kernel.platform import Platform, build_platform
from bayfin.kernel.settings import get_settings


@contextmanager
def open_platform() -> Iterator[Platform]:
    """The platform for one CLI command (logs go to stderr as text unless BAYFIN_LOG_JSON)."""
    settings = get_settings()
    configure_logging("WARNING", json_lines=False)
    platform = build_platform(settings)
    try:
        yield platform
    finally:
        platform.dispose()
