"""Use cases: decide and record, lists, rule reloads.

An event walks forward: this service asks the engine for a decision, the decisions side records it
(inline in the caller's transaction, or through the batched writer) and announces it; the cases side,
subscribed at start-up, opens the case it calls for."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bayfin.antifraud.decisions import repository
from bayfin.antifraud.decisions.alerts import AlertPolicy, case_for
from bayfin.antifraud.decisions.service import (
    DecisionAnnouncer,
    DecisionWriter,
    decision_row,
    record_decision,
)
from bayfin.antifraud.engine.engine import Decision, DecisionEngine
from bayfin.antifraud.engine.events import FraudEvent
from bayfin.antifraud.engine.lists import ENTITY_TYPES, LIST_KINDS, ListBook, ListEntry
from bayfin.antifraud.engine.ruleset import RuleRegistry, RuleSet, load_ruleset
from bayfin.antifraud.engine.state import InMemoryStateStore, StateStore
from bayfin.antifraud.learning.model import ModelRegistry
from bayfin.antifraud.learning.shadow import ModelWatcher
from bayfin.antifraud.lists import repository as list_store
from bayfin.antifraud.models import FraudListEntry
from bayfin.antifraud.settings import FraudSettings
from bayfin.kernel.errors import Forbidden, NotFound, ValidationFailed
from bayfin.kernel.observability import FRAUD_DECISION_SECONDS, FRAUD_DECISIONS
from bayfin.kernel.tenancy import TenantScope

log = logging.getLogger(__name__)
#: The engine applies every bank's entries (each to its owner's events), so it loads them all.
ENGINE_SCOPE = TenantScope.system("antifraud-engine")


class FraudService:
    """The engine plus what surrounds it: recording, lists from the database, rule reloads."""

    def __init__(self, engine: DecisionEngine, settings: FraudSettings,
                 session_factory: Callable[[], Session] | None = None,
                 announcer: DecisionAnnouncer | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self._session_factory = session_factory
        #: Told of every recorded decision (the cases side subscribes in wiring).
        self.announcer = announcer if announcer is not None else DecisionAnnouncer()
        self.writer: DecisionWriter | None = None
        if settings.write_mode == "batched" and session_factory is not None:
            self.writer = DecisionWriter(session_factory, settings.batch_size, announcer=self.announcer)
        self._lists_loaded_at = -1.0
        self.alert_policy = AlertPolicy(settings.alert_block_amount_fen, settings.alert_shadow_disagreement)
        self.models: ModelWatcher | None = None
        if settings.models_dir is not None:
            registry = ModelRegistry(settings.models_dir)
            self.models = ModelWatcher(registry, engine, settings.model_reload_seconds)
            self.models.start()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        if settings.warm_rules:
            engine.rules.current.warm()
        if settings.tune_gc:
            gc.collect()
            gc.freeze()
            gc.set_threshold(50_000, 50, 100)
        if settings.reload_seconds and engine.rules.directory is not None:
            # reloading compiles and warms the new set (about a second): on its own thread, never in a request
            self._watcher = threading.Thread(target=self._watch, name="fraud-rule-watcher", daemon=True)
            self._watcher.start()
        if self.writer is not None and settings.lists_refresh_seconds:
            # serving: lists are re-read on a thread too, so no request waits for that query
            threading.Thread(target=self._refresh_lists_periodically, name="fraud-lists", daemon=True).start()

    @classmethod
    def build(cls, settings: FraudSettings, session_factory: Callable[[], Session] | None = None,
              store: StateStore | None = None, announcer: DecisionAnnouncer | None = None) -> FraudService:
        """Compile the rule set; feature state in ``store`` (wiring picks it from settings), else in
        this process."""
        registry = RuleRegistry(load_ruleset(settings.rules_dir), settings.rules_dir)
        engine = DecisionEngine(registry, store if store is not None else InMemoryStateStore(), ListBook())
        return cls(engine, settings, session_factory, announcer)

    # -- deciding ---------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.wait(self.settings.reload_seconds):
            try:
                if self.engine.rules.reload_if_changed():
                    log.info("fraud rules reloaded", extra={"version": self.engine.rules.current.version})
            except Exception:
                log.exception("fraud rule reload failed; the live rule set is unchanged")

    def _refresh_lists_periodically(self) -> None:
        while True:
            self._lists_loaded_at = time.monotonic()
            try:
                self.refresh_lists()
            except Exception:
                log.exception("reading fraud lists failed; keeping the lists in memory")
            if self._stop.wait(self.settings.lists_refresh_seconds):
                return

    def _housekeeping(self, session: Session | None) -> None:
        if self.writer is not None:
            return  # batched (serving) mode: the lists thread keeps them fresh
        now = time.monotonic()
        refresh = self.settings.lists_refresh_seconds
        if self._session_factory is not None and (
                self._lists_loaded_at < 0 or (refresh and now - self._lists_loaded_at >= refresh)):
            self._lists_loaded_at = now
            try:
                self.refresh_lists(session)  # the caller's session when it has one: no second connection
            except Exception:
                log.exception("reading fraud lists failed; keeping the lists in memory")

    def decide(self, event: FraudEvent, *, institution_id: str | None = None,
               session: Session | None = None) -> Decision:
        """Decide an event and record the decision: in ``session`` (inline) or via the batch writer."""
        self._housekeeping(session)
        decision, new = self.engine.decide_once(event, institution_id)
        if not new and self.writer is None and session is not None:
            # a repeat: the engine answers from memory without counting the event again, but the first
            # recording may have been rolled back (a failed commit) and must not be lost to the retry
            new = repository.recorded_decision(session, event.event_id, institution_id) is None
        if new:
            FRAUD_DECISIONS.labels(decision.outcome.name).inc()
            FRAUD_DECISION_SECONDS.observe(decision.elapsed_us / 1_000_000)
            row = decision_row(decision, institution_id, datetime.now(UTC))
            case = case_for(decision, self.alert_policy)  # held for review, or an alert: an analyst looks
            if self.writer is not None:
                self.writer.submit(row, case)
            elif session is not None:
                record_decision(session, row, case, self.announcer)
        return decision

    # -- lists ------------------------------------------------------------------------------
    def refresh_lists(self, session: Session | None = None) -> int:
        """Reload the in-memory list book from the database; returns the number of entries."""
        now = datetime.now(UTC)
        if session is None:
            assert self._session_factory is not None
            with self._session_factory() as own:
                rows = list_store.active_list_entries(own, now, ENGINE_SCOPE)
        else:
            rows = list_store.active_list_entries(session, now, ENGINE_SCOPE)
        self.engine.lists.replace(_entry(r) for r in rows)
        return len(rows)

    def add_list_entry(self, session: Session, scope: TenantScope, *, kind: str, entity_type: str, value: str,
                       reason: str, expires_at: datetime | None, shared: bool = False) -> FraudListEntry:
        """Put a value on the caller's list (visible to this worker at once, to others at their next
        refresh); ``shared`` makes it consortium data every bank reads and applies."""
        if kind not in LIST_KINDS or entity_type not in ENTITY_TYPES:
            raise ValidationFailed(f"kind must be one of {LIST_KINDS} and entity_type one of {ENTITY_TYPES}")
        now = datetime.now(UTC)
        if expires_at is not None and expires_at <= now:
            raise ValidationFailed("expires_at is in the past")
        entry = list_store.add_list_entry(session, FraudListEntry(
            kind=kind, entity_type=entity_type, value=value, reason=reason, created_at=now,
            created_by=scope.actor, expires_at=expires_at, institution_id=scope.owner,
            shared=shared or scope.owner is None))
        self.engine.lists.add(_entry(entry))
        return entry

    def remove_list_entry(self, session: Session, scope: TenantScope, entry_id: int) -> FraudListEntry:
        """Take an entry off its list: only its owner may (another bank's shared entry is read-only)."""
        entry = list_store.get_list_entry(session, entry_id, scope)  # its own, or a shared one
        if entry is None:
            raise NotFound(f"no list entry {entry_id}")
        if not scope.may_change(entry.institution_id):
            raise Forbidden("a shared list entry is removed only by the institution that made it")
        list_store.delete_list_entry(session, entry)
        self.engine.lists.remove(entry.kind, entry.entity_type, entry.value, entry.institution_id, entry.id)
        return entry

    # -- rules ------------------------------------------------------------------------------
    def reload_rules(self) -> RuleSet:
        """Recompile the rule directory and swap it in (errors leave the live set in place)."""
        return self.engine.rules.reload()

    def close(self) -> None:
        """Stop the rule watcher, drain the writer and release the state store."""
        self._stop.set()
        if self.models is not None:
            self.models.stop()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        close = getattr(self.engine.store, "close", None)
        if callable(close):
            close()


def _entry(row: FraudListEntry) -> ListEntry:
    return ListEntry(kind=row.kind, entity_type=row.entity_type, value=row.value, reason=row.reason,
                     expires_at=row.expires_at.timestamp() if row.expires_at else None,
                     owner=row.institution_id, id=row.id,
                     shared=bool(row.shared) or row.institution_id is None)  # ownerless: the platform's
