"""Block, allow and watch lists for devices, IP addresses, accounts, beneficiaries, customers and cards.

Entries expire: an entry whose ``expires_at`` has passed is ignored (and dropped at the next
refresh). The book is an in-memory index rebuilt from the database, so a look-up costs a few dict
probes on the hot path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from bayfin.antifraud.engine.events import FraudEvent

LIST_KINDS = ("block", "allow", "watch")
ENTITY_TYPES = ("device", "ip", "account", "beneficiary", "customer", "card")


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One list entry (``expires_at`` in Unix seconds; None never expires). It applies to its owner's
    events, or to every institution's when ``shared`` (consortium lists)."""

    kind: str
    entity_type: str
    value: str
    reason: str
    expires_at: float | None = None
    owner: str | None = None
    shared: bool = True
    id: int | None = None

    def applies_to(self, institution_id: str | None) -> bool:
        """True if this entry counts for an event decided for ``institution_id``."""
        return self.shared or (self.owner is not None and self.owner == institution_id)


@dataclass(frozen=True, slots=True)
class ListHit:
    """A list entry matched by an event."""

    kind: str
    entity_type: str
    reason_code: str


def event_entities(event: FraudEvent) -> list[tuple[str, str]]:
    """The (entity type, value) pairs of an event that lists can name."""
    pairs = [("customer", event.customer_id), ("account", event.account_id)]
    if event.device is not None:
        pairs.append(("device", event.device.fingerprint))
    if event.network is not None:
        pairs.append(("ip", event.network.ip))
    if event.beneficiary is not None:
        pairs.append(("beneficiary", f"{event.beneficiary.bank_code}:{event.beneficiary.account}"))
    if event.card is not None:
        pairs.append(("card", event.card.pan_hash))
    return pairs


class ListBook:
    """The current entries of every list, by (entity type, value)."""

    def __init__(self, entries: Iterable[ListEntry] = ()) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], list[ListEntry]] = {}
        self.replace(entries)

    def replace(self, entries: Iterable[ListEntry]) -> None:
        """Swap in a new set of entries (as read from the database)."""
        index: dict[tuple[str, str], list[ListEntry]] = {}
        for entry in entries:
            index.setdefault((entry.entity_type, entry.value), []).append(entry)
        with self._lock:
            self._entries = index

    def add(self, entry: ListEntry) -> None:
        """Add one entry (effective immediately in this process)."""
        with self._lock:
            self._entries.setdefault((entry.entity_type, entry.value), []).append(entry)

    def remove(self, kind: str, entity_type: str, value: str, owner: str | None = None,
               entry_id: int | None = None) -> None:
        """Drop an owner's entries of this kind for this value (only the one with ``entry_id`` when
        given): another bank's entry for the same value stays."""
        def gone(e: ListEntry) -> bool:
            if entry_id is not None and e.id is not None:
                return e.id == entry_id
            return e.kind == kind and e.owner == owner

        with self._lock:
            kept = [e for e in self._entries.get((entity_type, value), []) if not gone(e)]
            if kept:
                self._entries[(entity_type, value)] = kept
            else:
                self._entries.pop((entity_type, value), None)

    def match(self, event: FraudEvent, now: float, institution_id: str | None = None) -> list[ListHit]:
        """The unexpired entries this event matches: shared ones, and the deciding institution's own."""
        entries = self._entries
        if not entries:
            return []
        hits = []
        for pair in event_entities(event):
            for entry in entries.get(pair, ()):
                if (entry.expires_at is None or entry.expires_at > now) and entry.applies_to(institution_id):
                    hits.append(ListHit(entry.kind, entry.entity_type,
                                        f"LIST_{entry.kind.upper()}_{entry.entity_type.upper()}"))
        return hits

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())
