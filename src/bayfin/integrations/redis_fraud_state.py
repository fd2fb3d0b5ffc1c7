"""The anti-fraud engine's shared feature state in Redis (the engine's ``StateStore``), so every
worker sees the same velocity windows and profiles."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from bayfin.antifraud.engine.features import State
from bayfin.antifraud.engine.state import ONCE_TTL_SECONDS, STATE_TTL_SECONDS

__all__ = ["RedisStateStore"]


class RedisStateStore:
    """States as JSON values in Redis, one key per entity, read and written in one round trip each."""

    @property
    def unreachable_errors(self) -> tuple[type[BaseException], ...]:
        """The errors that mean Redis cannot be reached (the fallback store decides locally on them)."""
        import redis

        return (redis.ConnectionError, redis.TimeoutError)

    def __init__(self, client: Any, prefix: str = "bayfin:fraud:state:",
                 once_ttl_seconds: int = ONCE_TTL_SECONDS) -> None:
        self._redis = client
        self._prefix = prefix
        self.once_ttl_seconds = once_ttl_seconds
        self.conflicts = 0  # optimistic transactions retried because another worker wrote first
        self.repeats = 0  # events found already folded in (a redelivery) and answered from their marker

    @classmethod
    def from_url(cls, url: str, prefix: str = "bayfin:fraud:state:",
                 once_ttl_seconds: int = ONCE_TTL_SECONDS) -> RedisStateStore:
        """A store on the Redis server at ``url``."""
        import redis

        return cls(redis.Redis.from_url(url), prefix, once_ttl_seconds)

    def load(self, keys: Sequence[str]) -> list[State | None]:
        """Fetch every key with one MGET."""
        raw = self._redis.mget([self._prefix + k for k in keys])
        return [None if value is None else orjson.loads(value) for value in raw]

    def save(self, states: dict[str, State]) -> None:
        """Write every state with one pipelined round trip, each with the expiry refreshed."""
        pipe = self._redis.pipeline(transaction=False)
        for key, state in states.items():
            pipe.set(self._prefix + key, orjson.dumps(state), ex=STATE_TTL_SECONDS)
        pipe.execute()

    def atomic(self, keys: Sequence[str],
               step: Callable[[list[State | None]], tuple[Any, dict[str, State]]],
               once: str | None = None) -> Any:
        """Run ``step`` on the states of ``keys`` and write what it returns, as one optimistic
        transaction: if another worker writes one of the keys in between, the step runs again on the
        fresh states, so concurrent workers never lose each other's updates.

        With ``once`` (a key naming the event), the step's result is kept under that key in the same
        transaction for ``once_ttl_seconds``; if the key is already there, the event was folded in
        before (by a worker that died before acknowledging it): its result is returned and nothing
        is written, so the event counts once."""
        import redis

        full = [self._prefix + k for k in keys]
        marker = None if once is None else self._prefix + once
        watched = full if marker is None else [marker, *full]
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(*watched)
                    raw = pipe.mget(watched)
                    if marker is not None:
                        if raw[0] is not None:
                            pipe.unwatch()
                            self.repeats += 1
                            return orjson.loads(raw[0])
                        raw = raw[1:]
                    result, updated = step([None if v is None else orjson.loads(v) for v in raw])
                    pipe.multi()
                    for key, state in updated.items():
                        pipe.set(self._prefix + key, orjson.dumps(state), ex=STATE_TTL_SECONDS)
                    if marker is not None:
                        pipe.set(marker, orjson.dumps(result), ex=self.once_ttl_seconds)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    self.conflicts += 1

    def clear(self) -> None:
        """Delete this store's keys (by prefix, in batches)."""
        batch = []
        for key in self._redis.scan_iter(match=self._prefix + "*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                self._redis.delete(*batch)
                batch.clear()
        if batch:
            self._redis.delete(*batch)

    def close(self) -> None:
        """Release the connection pool."""
        self._redis.close()
