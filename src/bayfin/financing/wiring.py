"""Start-up wiring: the marketplace configuration (service window, holidays) on the platform."""

from __future__ import annotations

from bayfin.financing.config import FinancingConfig
from bayfin.kernel.platform import Platform


def configure(platform: Platform) -> None:
    """Read the marketplace configuration once and hang it on ``platform.extensions["financing"]``."""
    platform.extensions.setdefault("financing", FinancingConfig.from_environment())
