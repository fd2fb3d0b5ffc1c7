"""Start-up wiring: the marketplace configuration (service window, holidays) and the product-book
cache on the platform."""

from __future__ import annotations

from bayfin.financing.config import FinancingConfig, FinancingRuntime
from bayfin.kernel.platform import Platform


def configure(platform: Platform) -> None:
    """Read the marketplace configuration once and hang it, with the per-process product-book cache,
    on ``platform.extensions["financing"]``."""
    platform.extensions.setdefault("financing", FinancingRuntime(FinancingConfig.from_environment()))
