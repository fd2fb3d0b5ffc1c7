"""The decision engine: features from state, lists, rules → ALLOW / CHALLENGE / REVIEW / BLOCK."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from bayfin.antifraud.catalogue import Catalogue, load_catalogue
from bayfin.antifraud.degraded import DegradedPolicy
from bayfin.antifraud.events import FraudEvent
from bayfin.antifraud.features import FeatureComputer
from bayfin.antifraud.learning import ModelScorer, ModelVerdict
from bayfin.antifraud.lists import ListBook
from bayfin.antifraud.ruleset import Outcome, Rule, RuleRegistry, RuleSet
from bayfin.antifraud.state import InMemoryStateStore, StateStore

__all__ = ["Decision", "DecisionEngine", "Outcome", "RuleHit"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that fired on an event."""

    rule_id: str
    typology: str
    reason: str
    score: int
    action: str | None
    shadow: bool = False


@dataclass(frozen=True)
class Decision:
    """What the engine decided about one event, and why."""

    event_id: str
    outcome: Outcome
    score: int
    hits: tuple[RuleHit, ...]
    shadow_hits: tuple[RuleHit, ...]
    reason_codes: tuple[str, ...]
    typologies: tuple[str, ...]
    amount_fen: int
    amount_protected_fen: int
    ruleset_version: str
    channel: str
    type: str
    customer_id: str
    account_id: str
    occurred_at: float
    elapsed_us: int
    features: dict[str, Any] = field(repr=False, default_factory=dict)
    model: ModelVerdict | None = None
    model_failed: bool = False
    degraded: bool = False

    @property
    def primary_typology(self) -> str | None:
        """The typology whose rules contributed most to the score (for totals)."""
        if not self.hits:
            return "list" if any(c.startswith("LIST_") for c in self.reason_codes) else None
        weight: dict[str, int] = {}
        for hit in self.hits:
            weight[hit.typology] = weight.get(hit.typology, 0) + hit.score + (1000 if hit.action else 0)
        return max(weight, key=lambda t: weight[t])

    def as_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data (without features)."""
        return {
            "event_id": self.event_id, "decision": self.outcome.name, "score": self.score,
            "reason_codes": list(self.reason_codes), "typologies": list(self.typologies),
            "rules": [hit.rule_id for hit in self.hits],
            "shadow_rules": [hit.rule_id for hit in self.shadow_hits],
            "amount_fen": self.amount_fen, "amount_protected_fen": self.amount_protected_fen,
            "ruleset_version": self.ruleset_version, "elapsed_us": self.elapsed_us,
            "model": self.model.as_dict() if self.model is not None else None,
            "model_failed": self.model_failed, "degraded": self.degraded,
        }


def _hit(rule: Rule, shadow: bool = False) -> RuleHit:
    return RuleHit(rule.id, rule.typology, rule.reason, rule.score,
                   rule.action.name if rule.action else None, shadow)


class DecisionEngine:
    """Decides events one at a time (thread-safe); the state store and the rule set are injected."""

    def __init__(self, rules: RuleRegistry, store: StateStore | None = None, lists: ListBook | None = None,
                 catalogue: Catalogue | None = None, remember: int = 100_000,
                 model: ModelScorer | None = None, degraded_policy: DegradedPolicy | None = None) -> None:
        self.rules = rules
        self.store: StateStore = store or InMemoryStateStore()
        self.lists = lists or ListBook()
        self.computer = FeatureComputer(catalogue or load_catalogue())
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, Decision] = OrderedDict()
        self._remember = remember
        self.model = model
        self.degraded_policy = degraded_policy or DegradedPolicy()

    def decide(self, event: FraudEvent) -> Decision:
        """Decide one event. A repeated event id gets the first decision back and changes no state."""
        return self.decide_once(event)[0]

    def decide_once(self, event: FraudEvent) -> tuple[Decision, bool]:
        """The decision and whether it is new (False when the event id was decided recently)."""
        with self._lock:
            earlier = self._recent.get(event.event_id)
            if earlier is not None:
                return earlier, False
            decision = self._decide(event)
            # remembered without its features (about 10 KB each): only the answer is needed for a repeat
            self._recent[event.event_id] = replace(decision, features={})
            if len(self._recent) > self._remember:
                self._recent.popitem(last=False)
            return decision, True

    def _decide(self, event: FraudEvent) -> Decision:
        started = time.perf_counter_ns()
        ruleset: RuleSet = self.rules.current  # read once: a reload mid-decision cannot mix two sets
        features = self.computer.process(event, self.store)
        degraded = bool(getattr(self.store, "last_degraded", False))  # the shared state was unreachable
        rules, n_active, evaluate = ruleset.evaluator(event.type)
        hits: list[RuleHit] = []
        shadow_hits: list[RuleHit] = []
        for index in evaluate(features):
            if index < n_active:
                hits.append(_hit(rules[index]))
            else:
                shadow_hits.append(_hit(rules[index], shadow=True))
        score = sum(h.score for h in hits)
        outcome = ruleset.thresholds.outcome(score)
        for h in hits:
            if h.action is not None and Outcome[h.action] > outcome:
                outcome = Outcome[h.action]
        reasons = [h.reason for h in hits]
        verdict, model_failed = self._score_model(features)
        if verdict is not None and verdict.points:
            score += verdict.points
            outcome = max(outcome, ruleset.thresholds.outcome(score))
            reasons.append("MODEL_HIGH_RISK")
        list_hits = self.lists.match(event, event.occurred_at.timestamp())
        if list_hits:
            kinds = {h.kind for h in list_hits}
            reasons = [h.reason_code for h in list_hits] + reasons
            if "block" in kinds:
                outcome = Outcome.BLOCK
            elif "allow" in kinds:
                outcome = Outcome.ALLOW  # a vetted customer or payee: rule hits are kept as information
            else:
                score += ruleset.watch_score
                outcome = max(outcome, ruleset.thresholds.outcome(score), Outcome.CHALLENGE)
        if degraded and self.degraded_policy.holds(event.channel) and outcome < Outcome.REVIEW:
            outcome = Outcome.REVIEW  # fail closed: without the customer's history, hold for an analyst
            reasons.append("DEGRADED_HOLD")
        amount = event.amount_fen
        protected = amount if outcome is Outcome.BLOCK and features["flow"] == "out" else 0
        return Decision(
            event_id=event.event_id, outcome=outcome, score=score, hits=tuple(hits),
            shadow_hits=tuple(shadow_hits), reason_codes=tuple(dict.fromkeys(reasons)),
            typologies=tuple(dict.fromkeys(h.typology for h in hits)), amount_fen=amount,
            amount_protected_fen=protected, ruleset_version=ruleset.version, channel=event.channel,
            type=event.type, customer_id=event.customer_id, account_id=event.account_id,
            occurred_at=event.occurred_at.timestamp(),
            elapsed_us=(time.perf_counter_ns() - started) // 1000, features=features, model=verdict,
            model_failed=model_failed, degraded=degraded)

    def _score_model(self, features: dict[str, Any]) -> tuple[ModelVerdict | None, bool]:
        """The model's verdict; a failing model is logged and the rules decide alone."""
        if self.model is None:
            return None, False
        try:
            return self.model.score(features), False
        except (ValueError, TypeError, IndexError, OverflowError, KeyError):
            log.exception("fraud model failed; deciding on rules alone")
            return None, True
