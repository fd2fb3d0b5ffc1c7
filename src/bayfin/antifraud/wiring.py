"""Start-up wiring: the fraud service on ``platform.extensions["antifraud"]``."""

from __future__ import annotations

from bayfin.antifraud.service import FraudService, FraudSettings
from bayfin.kernel.platform import Platform

SETTINGS = FraudSettings


def configure(platform: Platform, settings: FraudSettings | None = None) -> FraudService:
    """Build the engine (rules compiled once, state store per settings) and hang it on the platform."""
    service = FraudService.build(settings or FraudSettings(), platform.session_factory,
                                 redis_url=platform.settings.redis_url)
    platform.extensions["antifraud"] = service
    return service


def fraud_service(platform: Platform) -> FraudService:
    """The configured fraud service."""
    service: FraudService = platform.extensions["antifraud"]
    return service
