"""The decision engine: features from state, lists, rules → ALLOW / CHALLENGE / REVIEW / BLOCK."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from bayfin.antifraud.engine.catalogue import Catalogue, load_catalogue
from bayfin.antifraud.engine.degraded import DegradedPolicy
from bayfin.antifraud.engine.events import FraudEvent
from bayfin.antifraud.engine.features import FeatureComputer
from bayfin.antifraud.engine.lists import ListBook, ListHit
from bayfin.antifraud.engine.ruleset import Outcome, Rule, RuleRegistry, RuleSet
from bayfin.antifraud.engine.scoring import ModelVerdict, Scorer
from bayfin.antifraud.engine.state import InMemoryStateStore, StateStore

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
    shadow_outcome: Outcome | None = None  # the decision the shadow model would have made instead

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


def _rule_outcome(ruleset: RuleSet, hits: list[RuleHit]) -> Outcome:
    """The outcome of the rules alone: the score's threshold, raised by any rule's action."""
    outcome = ruleset.thresholds.outcome(sum(h.score for h in hits))
    for h in hits:
        if h.action is not None and Outcome[h.action] > outcome:
            outcome = Outcome[h.action]
    return outcome


def _finish(ruleset: RuleSet, score: int, outcome: Outcome, rule_reasons: list[str], model_points: int,
            list_hits: list[ListHit], degraded_hold: bool) -> tuple[int, Outcome, list[str]]:
    """Add the model's points, then the lists and the degraded policy, to the rules' score and outcome."""
    reasons = list(rule_reasons)
    if model_points:
        score += model_points
        outcome = max(outcome, ruleset.thresholds.outcome(score))
        reasons.append("MODEL_HIGH_RISK")
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
    if degraded_hold and outcome < Outcome.REVIEW:
        outcome = Outcome.REVIEW  # fail closed: without the customer's history, hold for an analyst
        reasons.append("DEGRADED_HOLD")
    return score, outcome, reasons


def _hit(rule: Rule, shadow: bool = False) -> RuleHit:
    return RuleHit(rule.id, rule.typology, rule.reason, rule.score,
                   rule.action.name if rule.action else None, shadow)


class DecisionEngine:
    """Decides events one at a time (thread-safe); the state store and the rule set are injected."""

    def __init__(self, rules: RuleRegistry, store: StateStore | None = None, lists: ListBook | None = None,
                 catalogue: Catalogue | None = None, remember: int = 100_000,
                 model: Scorer | None = None, degraded_policy: DegradedPolicy | None = None) -> None:
        self.rules = rules
        self.store: StateStore = store or InMemoryStateStore()
        self.lists = lists or ListBook()
        self.computer = FeatureComputer(catalogue or load_catalogue())
        self._lock = threading.Lock()
        self._recent: OrderedDict[tuple[str | None, str], Decision] = OrderedDict()
        self._remember = remember
        self.model = model
        self.degraded_policy = degraded_policy or DegradedPolicy()

    def decide(self, event: FraudEvent, institution_id: str | None = None) -> Decision:
        """Decide one event. A repeated event id gets the first decision back and changes no state."""
        return self.decide_once(event, institution_id)[0]

    def decide_once(self, event: FraudEvent, institution_id: str | None = None) -> tuple[Decision, bool]:
        """The decision and whether it is new (False when the event id was decided recently for the
        same institution: another bank's event under the same id is its own event, never answered with
        the first bank's decision)."""
        key = (institution_id, event.event_id)
        with self._lock:
            earlier = self._recent.get(key)
            if earlier is not None:
                return earlier, False
            decision = self._decide(event, institution_id)
            # remembered without its features (about 10 KB each): only the answer is needed for a repeat
            self._recent[key] = replace(decision, features={})
            if len(self._recent) > self._remember:
                self._recent.popitem(last=False)
            return decision, True

    def _decide(self, event: FraudEvent, institution_id: str | None = None) -> Decision:
        started = time.perf_counter_ns()
        ruleset: RuleSet = self.rules.current  # read once: a reload mid-decision cannot mix two sets
        features = self.computer.process(event, self.store, institution_id)
        degraded = bool(getattr(self.store, "last_degraded", False))  # the shared state was unreachable
        rules, n_active, evaluate = ruleset.evaluator(event.type)
        hits: list[RuleHit] = []
        shadow_hits: list[RuleHit] = []
        for index in evaluate(features):
            if index < n_active:
                hits.append(_hit(rules[index]))
            else:
                shadow_hits.append(_hit(rules[index], shadow=True))
        rule_score, rule_outcome = sum(h.score for h in hits), _rule_outcome(ruleset, hits)
        rule_reasons = [h.reason for h in hits]
        verdict, model_failed = self._score_model(features)
        list_hits = self.lists.match(event, event.occurred_at.timestamp(), institution_id)
        degraded_hold = degraded and self.degraded_policy.holds(event.channel)
        points = verdict.points if verdict is not None else 0
        score, outcome, reasons = _finish(ruleset, rule_score, rule_outcome, rule_reasons, points, list_hits,
                                          degraded_hold)
        shadow_outcome = None
        if verdict is not None and verdict.shadow_points is not None:
            # what the shadow model would have decided in the live one's place (recorded, never applied)
            shadow_outcome = _finish(ruleset, rule_score, rule_outcome, rule_reasons, verdict.shadow_points,
                                     list_hits, degraded_hold)[1]
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
            model_failed=model_failed, degraded=degraded, shadow_outcome=shadow_outcome)

    def _score_model(self, features: dict[str, Any]) -> tuple[ModelVerdict | None, bool]:
        """The model's verdict; a failing model is logged and the rules decide alone."""
        model = self.model  # read once: the model watcher may swap in a new scorer at any moment
        if model is None:
            return None, False
        try:
            return model.score(features), False
        except (ValueError, TypeError, IndexError, OverflowError, KeyError):
            log.exception("fraud model failed; deciding on rules alone")
            return None, True
