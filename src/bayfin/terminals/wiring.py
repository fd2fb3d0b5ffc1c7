"""Start-up wiring: the terminal service under :data:`TERMINALS`, its MQTT adapters chosen from settings."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.orm import Session, sessionmaker

from bayfin.integrations.mqtt_terminals import LazyMqttPublisher, ingest_connector
from bayfin.kernel.clock import Clock
from bayfin.kernel.platform import Platform, ServiceKey
from bayfin.terminals.ingest import IngestWorker
from bayfin.terminals.service import MemoryPublisher, Publisher, TerminalsService

TERMINALS = ServiceKey("terminals", TerminalsService)


def configure(platform: Platform) -> None:
    """Build the service with a key derived from the platform secret; commands go to the configured
    MQTT broker (``BAYFIN_MQTT_URL``), or are only kept in memory when none is configured."""
    master = hmac.new(platform.settings.audit_key.get_secret_value().encode(), b"bayfin.terminals",
                      hashlib.sha256).digest()
    url = platform.settings.mqtt_url
    publisher: Publisher = LazyMqttPublisher(url) if url else MemoryPublisher()
    platform.provide(TERMINALS, TerminalsService(master_key=master, publisher=publisher))


def terminals_service(platform: Platform) -> TerminalsService:
    """The configured terminal service."""
    return platform.service(TERMINALS)


def ingest_worker(service: TerminalsService, session_factory: sessionmaker[Session], clock: Clock, url: str,
                  *, batch: int = 500, sweep_every: float = 1.0, medical_every: float = 10.0,
                  client_id: str = "bayfin-terminals-ingest") -> IngestWorker:
    """An ingest worker subscribed to the MQTT broker at ``url`` (its answers go out the same way)."""
    return IngestWorker(service, session_factory, clock, ingest_connector(url), batch=batch,
                        sweep_every=sweep_every, medical_every=medical_every, client_id=client_id)
