"""The organization tree as the tenancy model needs it: a head office reaches its branches' records."""

from __future__ import annotations

import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from bayfin.identity.core import repository as repo

_MAX_DEPTH = 8  # branches of branches: deeper trees are a data error, not a reason to loop


class OrganizationTree:
    """Answers "which organization codes sit under this one" (itself included), from the database,
    remembered for a few seconds: organizations are created rarely, and every request asks."""

    def __init__(self, session_factory: sessionmaker[Session], ttl_seconds: float = 5.0) -> None:
        self._session_factory = session_factory
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    def __call__(self, code: str) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(code)
        if hit is not None and hit[0] > now:
            return hit[1]
        codes = self._load(code)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[code] = (now + self._ttl, codes)
        return codes

    def _load(self, code: str) -> frozenset[str]:
        found = {code}
        with self._session_factory() as session:
            level = repo.org_ids_with_code(session, code)
            for _ in range(_MAX_DEPTH):
                if not level:
                    break
                rows = repo.child_orgs(session, level)
                level = [i for i, c in rows if c not in found]
                found.update(c for _, c in rows)
        return frozenset(found)
