"""Telling other processes that the revocation feed or the signing keys changed, so they refresh
at once instead of at their next poll. The :class:`ChangeNotifier` interface and its embedded default
(:class:`LocalOnly`: nothing, the 2-second revocation poll and the unknown-``kid`` key reload still
hold); the Redis pub/sub adapter lives in :mod:`bayfin.integrations.redis_notifier` and the identity
wiring chooses it when Redis is configured."""

from __future__ import annotations

from typing import Protocol

CHANNEL = "bayfin:identity:revocations"
KEYS_CHANNEL = "bayfin:identity:keys"


class ChangeNotifier(Protocol):
    """Announces a change and calls back when any process announces one."""

    def publish(self) -> None: ...

    def close(self) -> None: ...


class LocalOnly:
    """No cross-process signal: other processes see changes at their next poll."""

    def publish(self) -> None:
        """Nothing to tell."""

    def close(self) -> None:
        """Nothing to stop."""
