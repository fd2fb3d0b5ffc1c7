"""Start-up wiring: the fraud service, built from settings, provided on the platform under
:data:`FRAUD`; the cases side subscribed to recorded decisions."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bayfin.antifraud.cases.service import on_decision_recorded
from bayfin.antifraud.decisions.service import DecisionAnnouncer
from bayfin.antifraud.engine.state import StateStore
from bayfin.antifraud.service import FraudService
from bayfin.antifraud.settings import FraudSettings
from bayfin.kernel.platform import Platform, ServiceKey

SETTINGS = FraudSettings
#: The anti-fraud service on the platform.
FRAUD = ServiceKey("antifraud", FraudService)


def decision_announcer() -> DecisionAnnouncer:
    """The announcer of recorded decisions with the module's listeners subscribed (cases open the
    case a held decision or an alert calls for)."""
    announcer = DecisionAnnouncer()
    announcer.subscribe(on_decision_recorded)
    return announcer


def build_service(settings: FraudSettings, session_factory: Callable[[], Session] | None = None, *,
                  redis_url: str | None = None, store: StateStore | None = None) -> FraudService:
    """The fraud service for these settings, its recorded decisions announced to the cases side."""
    return FraudService.build(settings, session_factory, redis_url=redis_url, store=store,
                              announcer=decision_announcer())


def configure(platform: Platform, settings: FraudSettings | None = None) -> FraudService:
    """Build the engine (rules compiled once, state store per settings) and provide it on the platform."""
    service = build_service(settings or FraudSettings(), platform.session_factory,
                            redis_url=platform.settings.redis_url)
    return platform.provide(FRAUD, service)


def fraud_service(platform: Platform) -> FraudService:
    """The configured fraud service."""
    return platform.service(FRAUD)
