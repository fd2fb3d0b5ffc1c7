"""Degraded modes: when the shared feature state (Redis) is unreachable the engine keeps deciding.

``FallbackStateStore`` wraps the shared store: a call that fails with a connection error is re-run on
a local in-memory store, the call is marked degraded, and the shared store is left alone for
``retry_seconds`` (a circuit breaker, so each event does not wait for a connection timeout). The
per-channel ``DegradedPolicy`` then says what a degraded decision does: *fail open* (decide on local
state as usual) or *fail closed* (hold at least for review, since the customer's history is missing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bayfin.antifraud.engine.features import State
from bayfin.antifraud.engine.state import InMemoryStateStore

__all__ = ["DegradedPolicy", "FallbackStateStore"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DegradedPolicy:
    """Per channel, what a decision taken on local state only does: channels listed fail closed."""

    fail_closed: frozenset[str] = field(default_factory=frozenset)

    def holds(self, channel: str) -> bool:
        """True when a degraded decision on this channel must be held for review."""
        return channel in self.fail_closed


class FallbackStateStore:
    """The shared store, or a local one while the shared one is unreachable."""

    def __init__(self, primary: Any, local: InMemoryStateStore | None = None, retry_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.primary = primary
        self.local = local or InMemoryStateStore()
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._down_until = 0.0
        # the adapter names its own "cannot reach" errors (redis' are not the built-in ones)
        self._errors: tuple[type[BaseException], ...] = (
            ConnectionError, TimeoutError, *getattr(primary, "unreachable_errors", ()))
        self.last_degraded = False  # whether the latest call ran on local state (engine calls are serialised)
        self.failures = 0

    def _primary_up(self) -> bool:
        return self._clock() >= self._down_until

    def _fail(self, exc: BaseException) -> None:
        self.failures += 1
        self._down_until = self._clock() + self.retry_seconds
        log.warning("shared fraud state unreachable (%s); deciding on local state", type(exc).__name__)

    def _run(self, shared: Callable[[], Any], local: Callable[[], Any]) -> Any:
        if self._primary_up():
            try:
                result = shared()
                self.last_degraded = False
                return result
            except self._errors as exc:
                self._fail(exc)
        self.last_degraded = True
        return local()

    def load(self, keys: Sequence[str]) -> list[State | None]:
        """States from the shared store, or from the local one while it is down."""
        result: list[State | None] = self._run(lambda: self.primary.load(keys), lambda: self.local.load(keys))
        return result

    def save(self, states: dict[str, State]) -> None:
        """Write to the shared store, or to the local one while it is down."""
        self._run(lambda: self.primary.save(states), lambda: self.local.save(states))

    def atomic(self, keys: Sequence[str],
               step: Callable[[list[State | None]], tuple[Any, dict[str, State]]],
               once: str | None = None) -> Any:
        """One optimistic transaction on the shared store (remembering the event ``once`` names, see
        :meth:`RedisStateStore.atomic`), or a plain load-step-save locally, where this process's own
        memory of recent events already keeps a repeat from counting twice."""
        def local() -> Any:
            result, updated = step(self.local.load(keys))
            self.local.save(updated)
            return result

        shared_atomic = getattr(self.primary, "atomic", None)
        if shared_atomic is None:
            return self._run(lambda: self._plain(keys, step), local)
        return self._run(lambda: shared_atomic(keys, step, once=once), local)

    def _plain(self, keys: Sequence[str],
               step: Callable[[list[State | None]], tuple[Any, dict[str, State]]]) -> Any:
        result, updated = step(self.primary.load(keys))
        self.primary.save(updated)
        return result

    def clear(self) -> None:
        """Clear both stores."""
        self.local.clear()
        self._run(self.primary.clear, lambda: None)
