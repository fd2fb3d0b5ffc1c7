"""Where entity states live between events: the :class:`StateStore` protocol and the in-process store
(the embedded default and the tests' fake); the Redis store that workers share is the adapter
``bayfin.integrations.redis_fraud_state``.

Both stores hold the same JSON-shaped states and the same pure feature code runs on what they
return, so a decision does not depend on the store (a test replays one stream through both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bayfin.antifraud.engine.features import KEEP, State

#: States expire a day after the longest window so that idle entities do not accumulate in Redis.
STATE_TTL_SECONDS = KEEP + 86_400
#: How long the shared store remembers an event it has folded in (with the features it had), so that
#: a redelivery to another worker within that time is answered the same and not counted twice. It
#: must outlast the broker's redelivery delay (JetStream's ack wait, seconds) by a wide margin.
ONCE_TTL_SECONDS = 300


class StateStore(Protocol):
    """Loads and saves entity states by key ("c:<customer>", "d:<device>", …)."""

    def load(self, keys: Sequence[str]) -> list[State | None]:
        """The states for ``keys`` in order; None for an entity never seen."""
        ...

    def save(self, states: dict[str, State]) -> None:
        """Store the updated states."""
        ...

    def clear(self) -> None:
        """Forget every state (tests and replays start clean)."""
        ...


class InMemoryStateStore:
    """States in a dict of this process: the default for one worker and for offline feature runs."""

    def __init__(self) -> None:
        self._states: dict[str, State] = {}

    def load(self, keys: Sequence[str]) -> list[State | None]:
        """The live state objects (updated in place by the feature code)."""
        get = self._states.get
        return [get(k) for k in keys]

    def save(self, states: dict[str, State]) -> None:
        """Keep any state that is new; existing ones were updated in place."""
        self._states.update(states)

    def clear(self) -> None:
        """Forget every state."""
        self._states.clear()

    def __len__(self) -> int:
        return len(self._states)
