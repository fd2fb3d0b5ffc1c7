"""Start-up wiring: the fraud service, built from settings, provided on the platform under
:data:`FRAUD`; the cases side subscribed to recorded decisions."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bayfin.antifraud.cases.service import on_decision_recorded
from bayfin.antifraud.decisions.service import DecisionAnnouncer
from bayfin.antifraud.engine.degraded import FallbackStateStore
from bayfin.antifraud.engine.state import StateStore
from bayfin.antifraud.service import FraudService
from bayfin.antifraud.settings import FraudSettings
from bayfin.antifraud.stream import FraudStream
from bayfin.antifraud.worker import WorkerConfig
from bayfin.integrations.nats_fraud_stream import NatsFraudStream
from bayfin.integrations.redis_fraud_state import RedisStateStore
from bayfin.kernel.errors import ValidationFailed
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


def shared_state(redis_url: str, settings: FraudSettings, *, fallback: bool = False) -> StateStore:
    """Feature state in Redis, shared by every worker (``fallback``: decide on local state while Redis
    is unreachable)."""
    store = RedisStateStore.from_url(redis_url, once_ttl_seconds=settings.once_seconds)
    return FallbackStateStore(store) if fallback else store


def build_service(settings: FraudSettings, session_factory: Callable[[], Session] | None = None, *,
                  redis_url: str | None = None, store: StateStore | None = None) -> FraudService:
    """The fraud service for these settings (feature state where they say), its recorded decisions
    announced to the cases side."""
    if store is None and settings.state == "redis":
        if not redis_url:
            raise ValidationFailed("BAYFIN_FRAUD_STATE=redis needs BAYFIN_REDIS_URL")
        store = shared_state(redis_url, settings)
    return FraudService.build(settings, session_factory, store=store, announcer=decision_announcer())


def configure(platform: Platform, settings: FraudSettings | None = None) -> FraudService:
    """Build the engine (rules compiled once, state store per settings) and provide it on the platform."""
    service = build_service(settings or platform.section(FraudSettings), platform.session_factory,
                            redis_url=platform.settings.redis_url)
    return platform.provide(FRAUD, service)


def fraud_service(platform: Platform) -> FraudService:
    """The configured fraud service."""
    return platform.service(FRAUD)


async def nats_stream(config: WorkerConfig) -> FraudStream:
    """The worker's event stream on NATS JetStream (``run_worker(..., open_stream=nats_stream)``)."""
    return await NatsFraudStream.open(config)
