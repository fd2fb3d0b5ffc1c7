"""Start-up wiring: the terminal service on ``platform.extensions["terminals"]``."""

from __future__ import annotations

import hashlib
import hmac

from bayfin.kernel.platform import Platform
from bayfin.terminals.ingest import LazyMqttPublisher
from bayfin.terminals.service import MemoryPublisher, Publisher, TerminalsService


def configure(platform: Platform) -> None:
    """Build the service with a key derived from the platform secret; commands go to the configured
    MQTT broker (``BAYFIN_MQTT_URL``), or are only kept in memory when none is configured."""
    master = hmac.new(platform.settings.audit_key.get_secret_value().encode(), b"bayfin.terminals",
                      hashlib.sha256).digest()
    url = platform.settings.mqtt_url
    publisher: Publisher = LazyMqttPublisher(url) if url else MemoryPublisher()
    platform.extensions["terminals"] = TerminalsService(master_key=master, publisher=publisher)


def terminals_service(platform: Platform) -> TerminalsService:
    """The configured terminal service."""
    found: TerminalsService = platform.extensions["terminals"]
    return found
