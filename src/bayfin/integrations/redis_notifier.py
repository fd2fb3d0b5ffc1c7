"""Identity's change signal across processes over Redis pub/sub: the ``ChangeNotifier`` of
:mod:`bayfin.identity.core.notify`, so a revocation or a key rotation reaches every process at once
instead of at its next poll."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from bayfin.identity.core.notify import CHANNEL

__all__ = ["RedisNotifier"]

log = logging.getLogger(__name__)


class RedisNotifier:
    """Publishes on a Redis channel and listens on a daemon thread, calling ``on_change`` per message."""

    def __init__(self, url: str, on_change: Callable[[], None], channel: str = CHANNEL) -> None:
        import redis

        self.channel = channel
        self._client: Any = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self._pubsub: Any = self._client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(channel)
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name=f"notify-{channel}",
                                        daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._pubsub.get_message(timeout=0.5)
            except Exception:  # the connection dropped: the poll still covers us; try again shortly
                log.warning("revocation channel read failed", exc_info=True)
                self._stop.wait(1.0)
                continue
            if message is not None:
                try:
                    self._on_change()
                except Exception:
                    log.exception("revocation refresh failed")

    def publish(self) -> None:
        """Tell every subscribed process to refresh (a lost message only delays it to the poll)."""
        try:
            self._client.publish(self.channel, b"changed")
        except Exception:
            log.warning("revocation publish failed; other processes will see it at their poll",
                        exc_info=True)

    def close(self) -> None:
        """Stop listening and release the connections."""
        self._stop.set()
        self._thread.join(timeout=2)
        self._pubsub.close()
        self._client.close()
