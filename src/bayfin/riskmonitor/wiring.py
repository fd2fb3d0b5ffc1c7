"""Start-up wiring: the risk monitor, provided on the platform under :data:`RISK_MONITOR`."""

from __future__ import annotations

from bayfin.kernel.platform import Platform, ServiceKey
from bayfin.riskmonitor.service import RiskMonitor

#: The platform's risk monitor (its classifier trains on first use).
RISK_MONITOR = ServiceKey("riskmonitor", RiskMonitor)


def configure(platform: Platform) -> RiskMonitor:
    """Provide the risk monitor (its classifier trains on first use) on the platform."""
    return platform.provide(RISK_MONITOR, RiskMonitor(clock=platform.clock))


def risk_monitor(platform: Platform) -> RiskMonitor:
    """The configured risk monitor (configured now if start-up wiring has not run)."""
    return platform.service_or(RISK_MONITOR, lambda: RiskMonitor(clock=platform.clock))
