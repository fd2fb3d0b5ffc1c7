"""Rule sets: YAML files of rules by typology, compiled once, versioned, and hot-swapped.

A rule set is a directory with ``ruleset.yaml`` (name, version, score thresholds) and one file per
typology holding its rules. Loading checks every rule (condition, scope, action, mode, tests) and
compiles every condition before anything is swapped in; a broken file leaves the running set as it
was. The version reported with each decision is the declared version plus a digest of the files,
so two different contents never share a version.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bayfin.antifraud.engine.catalogue import CHANNELS, Catalogue, load_catalogue
from bayfin.antifraud.engine.features import FEATURE_DEFAULTS, NULLABLE
from bayfin.antifraud.engine.rulelang import Condition, RuleSyntaxError, compile_condition, compile_group


class Outcome(IntEnum):
    """A decision, ordered by severity so the strongest one wins."""

    ALLOW = 0
    CHALLENGE = 1  # step-up authentication: OTP or voiceprint
    REVIEW = 2  # hold for an analyst
    BLOCK = 3


MODES = ("active", "shadow", "off")
_RULE_KEYS = {"id", "name", "when", "score", "action", "reason", "scope", "mode", "tests", "description"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule."""

    id: str
    name: str
    typology: str
    condition_text: str
    condition: Condition
    score: int
    action: Outcome | None
    reason: str
    mode: str
    channels: frozenset[str] | None
    businesses: frozenset[str] | None
    types: frozenset[str] | None
    features: frozenset[str]
    tests: Mapping[str, Mapping[str, Any]]

    def applies_to(self, channel: str, business: str, code: str) -> bool:
        """True when the rule's scope covers this transaction type."""
        return ((self.channels is None or channel in self.channels)
                and (self.businesses is None or business in self.businesses)
                and (self.types is None or code in self.types))


@dataclass(frozen=True)
class Thresholds:
    """Total scores at which the decision escalates."""

    challenge: int = 30
    review: int = 60
    block: int = 90

    def outcome(self, score: int) -> Outcome:
        """The outcome a total score alone leads to."""
        if score >= self.block:
            return Outcome.BLOCK
        if score >= self.review:
            return Outcome.REVIEW
        if score >= self.challenge:
            return Outcome.CHALLENGE
        return Outcome.ALLOW


@dataclass
class RuleSet:
    """A compiled, immutable rule set with rules indexed by transaction type."""

    name: str
    version: str
    thresholds: Thresholds
    watch_score: int
    rules: tuple[Rule, ...]
    typologies: dict[str, str]
    _index: dict[str, tuple[tuple[Rule, ...], tuple[Rule, ...]]] = field(default_factory=dict, repr=False)
    _groups: dict[tuple[str, ...], Callable[[Mapping[str, Any]], list[int]]] = field(
        default_factory=dict, repr=False)
    _by_type: dict[str, tuple[tuple[Rule, ...], int, Callable[[Mapping[str, Any]], list[int]]]] = field(
        default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def index(self, catalogue: Catalogue) -> None:
        """Precompute, for every type, its active and its shadow rules (scope is checked once here)."""
        for code, t in catalogue.types.items():
            active = tuple(r for r in self.rules if r.mode == "active"
                           and r.applies_to(t.channel, t.business, code))
            shadow = tuple(r for r in self.rules if r.mode == "shadow"
                           and r.applies_to(t.channel, t.business, code))
            self._index[code] = (active, shadow)

    def for_type(self, code: str) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
        """The (active, shadow) rules that apply to a transaction type."""
        return self._index.get(code, ((), ()))

    def evaluator(self, code: str) -> tuple[tuple[Rule, ...], int, Callable[[Mapping[str, Any]], list[int]]]:
        """For a transaction type: its active then shadow rules, how many are active, and one compiled
        function that returns the indices of the rules whose condition holds (compiled on first use and
        shared by every type with the same rules)."""
        cached = self._by_type.get(code)
        if cached is not None:
            return cached
        active, shadow = self.for_type(code)
        rules = active + shadow
        key = tuple(r.id for r in rules)
        group = self._groups.get(key)
        if group is None:
            with self._lock:
                group = self._groups.get(key)
                if group is None:
                    group = compile_group(f"{len(self._groups)}", [(r.id, r.condition_text) for r in rules],
                                          FEATURE_DEFAULTS, NULLABLE)
                    self._groups[key] = group
        self._by_type[code] = (rules, len(active), group)
        return rules, len(active), group

    def warm(self) -> int:
        """Compile every type's rule group now (before a swap, so live traffic never waits for it)."""
        for code in self._index:
            self.evaluator(code)
        return len(self._groups)

    def get(self, rule_id: str) -> Rule | None:
        """The rule with this id, or None."""
        return next((r for r in self.rules if r.id == rule_id), None)


def _as_set(value: Any, where: str, allowed: set[str] | None = None) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleSyntaxError(f"{where}: must be a list of names")
    if allowed is not None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise RuleSyntaxError(f"{where}: unknown {', '.join(unknown)}")
    return frozenset(value)


def parse_rule(raw: Mapping[str, Any], typology: str, catalogue: Catalogue) -> Rule:
    """Check and compile one rule mapping from a YAML file."""
    rule_id = str(raw.get("id", "?"))
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise RuleSyntaxError(f"rule {rule_id}: unknown keys {sorted(unknown)}")
    if not isinstance(raw.get("id"), str):
        raise RuleSyntaxError(f"rule {rule_id}: 'id' must be text (quote it: YAML reads OFF or NO as false)")
    for key in ("id", "when", "reason"):
        if not raw.get(key):
            raise RuleSyntaxError(f"rule {rule_id}: '{key}' is required")
    condition, used = compile_condition(rule_id, raw["when"], FEATURE_DEFAULTS, NULLABLE)
    score = raw.get("score", 0)
    if not isinstance(score, int) or isinstance(score, bool) or not -100 <= score <= 1000:
        raise RuleSyntaxError(f"rule {rule_id}: score must be an integer between -100 and 1000")
    action = raw.get("action")
    if action is not None and action not in Outcome.__members__:
        raise RuleSyntaxError(f"rule {rule_id}: action must be one of {', '.join(Outcome.__members__)}")
    if action is None and score <= 0:
        raise RuleSyntaxError(f"rule {rule_id}: a rule needs a positive score or an action")
    mode = raw.get("mode", "active")
    if mode is False:  # YAML 1.1 reads an unquoted `off` as false
        mode = "off"
    if mode not in MODES:
        raise RuleSyntaxError(f"rule {rule_id}: mode must be one of {', '.join(MODES)}")
    scope = raw.get("scope") or {}
    if not isinstance(scope, dict) or set(scope) - {"channels", "businesses", "types"}:
        raise RuleSyntaxError(f"rule {rule_id}: scope takes channels, businesses and types")
    tests = raw.get("tests") or {}
    if not isinstance(tests, dict) or set(tests) - {"fires", "quiet"}:
        raise RuleSyntaxError(f"rule {rule_id}: tests take 'fires' and 'quiet' feature mappings")
    for name, case in tests.items():
        bad = sorted(set(case or {}) - set(FEATURE_DEFAULTS))
        if bad:
            raise RuleSyntaxError(f"rule {rule_id}: test '{name}' names unknown features {bad}")
    return Rule(
        id=rule_id, name=str(raw.get("name", rule_id)), typology=typology, condition_text=raw["when"],
        condition=condition, score=int(score), action=Outcome[action] if action else None,
        reason=str(raw["reason"]), mode=mode,
        channels=_as_set(scope.get("channels"), f"rule {rule_id} scope.channels", set(CHANNELS)),
        businesses=_as_set(scope.get("businesses"), f"rule {rule_id} scope.businesses",
                           set(catalogue.businesses())),
        types=_as_set(scope.get("types"), f"rule {rule_id} scope.types", set(catalogue.types)),
        features=frozenset(used), tests={k: dict(v or {}) for k, v in tests.items()})


def _read(directory: Path | Any) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], str]:
    files = sorted((p for p in directory.iterdir() if p.name.endswith((".yaml", ".yml"))),
                   key=lambda p: p.name)
    digest = hashlib.sha256()
    header: dict[str, Any] | None = None
    documents = []
    for path in files:
        text = path.read_text("utf-8")
        digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
        try:
            document = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise RuleSyntaxError(f"{path.name}: not valid YAML: {exc}") from exc
        if not isinstance(document, dict):
            raise RuleSyntaxError(f"{path.name}: expected a mapping at the top")
        if path.name.startswith("ruleset."):
            header = document
        else:
            documents.append((path.name, document))
    if header is None:
        raise RuleSyntaxError(f"{directory}: no ruleset.yaml")
    return header, documents, digest.hexdigest()[:12]


_SHIPPED: list[RuleSet] = []


def load_ruleset(directory: Path | None = None, catalogue: Catalogue | None = None) -> RuleSet:
    """Read, check and compile a rule-set directory (default: the rules shipped with bayfin, compiled
    once per process since package files do not change)."""
    if directory is None and catalogue is None and _SHIPPED:
        return _SHIPPED[0]
    ruleset = _load(directory, catalogue or load_catalogue())
    if directory is None and catalogue is None:
        _SHIPPED[:] = [ruleset]
    return ruleset


def _load(directory: Path | None, catalogue: Catalogue) -> RuleSet:
    source: Any = directory if directory is not None else resources.files("bayfin.antifraud.engine").joinpath(
        "rulesets/default")
    header, documents, digest = _read(source)
    rules: list[Rule] = []
    typologies: dict[str, str] = {}
    for filename, document in documents:
        typology = document.get("typology")
        if not typology:
            raise RuleSyntaxError(f"{filename}: 'typology' is required")
        typologies[typology] = str(document.get("description", ""))
        for raw in document.get("rules") or []:
            rules.append(parse_rule(raw, typology, catalogue))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleSyntaxError(f"rule {rule.id} is defined twice")
        seen.add(rule.id)
    limits = header.get("thresholds") or {}
    thresholds = Thresholds(**{k: int(v) for k, v in limits.items()})
    if not thresholds.challenge <= thresholds.review <= thresholds.block:
        raise RuleSyntaxError("thresholds must rise: challenge <= review <= block")
    ruleset = RuleSet(name=str(header.get("name", "rules")),
                      version=f"{header.get('version', '0')}+{digest}", thresholds=thresholds,
                      watch_score=int(header.get("watch_score", 30)), rules=tuple(rules),
                      typologies=typologies)
    ruleset.index(catalogue)
    return ruleset


class RuleRegistry:
    """Holds the live rule set and swaps in a new one atomically.

    A decision takes the current set once (one attribute read) and uses it to the end, so a reload
    in the middle of traffic changes only the decisions that start after it: none is dropped or
    decided with half of each set.
    """

    def __init__(self, ruleset: RuleSet, directory: Path | None = None) -> None:
        self._current = ruleset
        self.directory = directory
        self._lock = threading.Lock()
        self._mtime = self._stamp()

    @property
    def current(self) -> RuleSet:
        """The live rule set."""
        return self._current

    def _stamp(self) -> float:
        if self.directory is None or not self.directory.exists():
            return 0.0
        return max((p.stat().st_mtime for p in self.directory.iterdir()), default=0.0)

    def swap(self, ruleset: RuleSet) -> RuleSet:
        """Make ``ruleset`` live; returns the one it replaced."""
        with self._lock:
            previous, self._current = self._current, ruleset
        return previous

    def reload(self) -> RuleSet:
        """Recompile the directory and swap it in; on any error the live set stays and the error rises."""
        ruleset = load_ruleset(self.directory)
        ruleset.warm()
        self.swap(ruleset)
        self._mtime = self._stamp()
        return ruleset

    def reload_if_changed(self) -> bool:
        """Reload when a file in the directory changed since the last load (for a file watcher)."""
        if self.directory is None or self._stamp() == self._mtime:
            return False
        self.reload()
        return True
