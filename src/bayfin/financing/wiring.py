"""Start-up wiring: the marketplace configuration (service window, holidays, from the module's settings
section) and the product-book cache, provided on the platform under :data:`FINANCING`."""

from __future__ import annotations

from bayfin.financing.config import FinancingConfig, FinancingRuntime
from bayfin.financing.settings import FinancingSettings
from bayfin.kernel.platform import Platform, ServiceKey

SETTINGS = FinancingSettings
#: The marketplace's configuration and per-process product-book cache on the platform.
FINANCING = ServiceKey("financing", FinancingRuntime)


def configure(platform: Platform) -> FinancingRuntime:
    """Read the marketplace configuration once and provide it, with the per-process product-book cache,
    on the platform (an already provided runtime is kept)."""
    def build() -> FinancingRuntime:
        return FinancingRuntime(FinancingConfig.from_settings(platform.section(FinancingSettings)))

    return platform.service_or(FINANCING, build)


def financing_runtime(platform: Platform) -> FinancingRuntime | None:
    """The configured runtime, or None when start-up wiring has not run (the service then uses the
    defaults)."""
    return platform.service(FINANCING) if platform.has_service(FINANCING) else None
