"""Start-up wiring: the risk monitor on ``platform.extensions["riskmonitor"]``."""

from __future__ import annotations

from bayfin.kernel.platform import Platform
from bayfin.riskmonitor.service import RiskMonitor


def configure(platform: Platform) -> RiskMonitor:
    """Hang the risk monitor (its classifier trains on first use) on the platform."""
    monitor = RiskMonitor(clock=platform.clock)
    platform.extensions["riskmonitor"] = monitor
    return monitor


def risk_monitor(platform: Platform) -> RiskMonitor:
    """The configured risk monitor (configured now if start-up wiring has not run)."""
    monitor = platform.extensions.get("riskmonitor")
    return monitor if isinstance(monitor, RiskMonitor) else configure(platform)
