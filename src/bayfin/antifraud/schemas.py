"""API shapes (the event itself is :class:`bayfin.antifraud.engine.events.FraudEvent`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bayfin.antifraud.decisions.repository import DecisionTotal
from bayfin.kernel.fields import Line, Text


class RuleHitOut(BaseModel):
    """A rule that fired."""

    rule_id: str
    typology: str
    reason: str
    score: int
    action: str | None


class DecisionOut(BaseModel):
    """The decision on one event."""

    event_id: str
    decision: Literal["ALLOW", "CHALLENGE", "REVIEW", "BLOCK"]
    score: int
    reason_codes: list[str]
    typologies: list[str]
    rules: list[RuleHitOut]
    shadow_rules: list[str]
    amount_fen: int
    amount_protected_fen: int
    ruleset_version: str
    elapsed_us: int


class RecordedDecisionOut(BaseModel):
    """A decision as recorded."""

    model_config = ConfigDict(from_attributes=True)

    event_id: str
    occurred_at: datetime
    decided_at: datetime
    channel: str
    type: str
    customer_id: str
    outcome: str
    score: int
    primary_typology: str | None
    rules: list[str]
    shadow_rules: list[str]
    reason_codes: list[str]
    amount_fen: int
    amount_protected_fen: int
    ruleset_version: str


class TotalsOut(BaseModel):
    """Totals by typology, channel, outcome or type."""

    by: str
    rows: list[DecisionTotal]
    amount_protected_fen: int


class ListEntryIn(BaseModel):
    """A new list entry."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["block", "allow", "watch"]
    entity_type: Literal["device", "ip", "account", "beneficiary", "customer", "card"]
    value: Line = Field(min_length=1, max_length=128)
    reason: Text = Field(min_length=1, max_length=200)
    expires_at: AwareDatetime | None = None
    shared: bool = Field(False, description="consortium entry: every bank reads and applies it; "
                                            "only your institution may remove it")


class ListEntryOut(BaseModel):
    """A list entry (``created_by`` is shown to its owner only)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    entity_type: str
    value: str
    reason: str
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    institution_id: str | None
    shared: bool


class RuleSetOut(BaseModel):
    """The live rule set."""

    name: str
    version: str
    rules: int
    active: int
    shadow: int
    off: int
    typologies: dict[str, int]


class RuleConfirmRate(BaseModel):
    """How the decided cases a rule raised turned out."""

    decided: int
    confirmed: int
    rate: float


class CaseStatsOut(BaseModel):
    """Counts by status, hours to decision, and the confirm rate of each rule's cases."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "cases": 40, "by_status": {"open": 12, "confirmed": 20, "released": 8},
        "mean_hours_to_decision": 5.25, "median_hours_to_decision": 3.5,
        "confirm_rate_by_rule": {"new_payee_large": {"decided": 10, "confirmed": 7, "rate": 0.7}}}]})

    cases: int
    by_status: dict[str, int]
    mean_hours_to_decision: float | None
    median_hours_to_decision: float | None
    confirm_rate_by_rule: dict[str, RuleConfirmRate]


class LoadedModels(BaseModel):
    """The live and shadow model versions loaded in this engine (null: none)."""

    live: int | None
    shadow: int | None


class ModelVersionOut(BaseModel):
    """A registered model version and its metadata."""

    model_config = ConfigDict(extra="allow")

    version: int
    status: Literal["live", "shadow", "registered"]
    created_at: datetime
    source: str
    features: list[str]
    metrics: dict[str, Any] = Field(description="Training and validation figures")


class ModelStateOut(BaseModel):
    """The models loaded in this engine and every registered version."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "loaded": {"live": 3, "shadow": 4},
        "versions": [{"version": 3, "status": "live", "created_at": "2025-01-02T03:04:05+00:00",
                      "source": "cases", "features": ["amount_fen"], "metrics": {"auc": 0.91}}]}]})

    loaded: LoadedModels | None
    versions: list[ModelVersionOut]


class ModelScores(BaseModel):
    """How one model ranks the labelled decisions."""

    auc: float | None
    average_precision: float | None
    flag_precision: float | None


class LabelledComparison(BaseModel):
    """Live against shadow on the decisions whose cases were decided."""

    cases: int
    confirmed: int
    live: ModelScores
    shadow: ModelScores


class ShadowReportOut(BaseModel):
    """Live against shadow over recent decisions: agreement, decision changes, AUC/AP on case outcomes.
    Only ``loaded``, ``hours`` and ``decisions`` are present when no decision carries a shadow score."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "loaded": {"live": 3, "shadow": 4}, "hours": 168, "decisions": 5000, "live_versions": [3],
        "shadow_versions": [4], "outcome_agreement": 0.97, "mean_abs_probability_difference": 0.02,
        "disagreements_over_threshold": 3, "decision_changes": {"APPROVE->REVIEW": 40},
        "flagged": {"live": 120, "shadow": 150},
        "labelled": {"cases": 80, "confirmed": 30,
                     "live": {"auc": 0.9, "average_precision": 0.6, "flag_precision": 0.5},
                     "shadow": {"auc": 0.92, "average_precision": 0.65, "flag_precision": 0.55}},
        "shadow_better_on_labels": True}]})

    loaded: LoadedModels | None
    hours: int
    decisions: int
    note: str | None = None
    live_versions: list[int] | None = None
    shadow_versions: list[int] | None = None
    outcome_agreement: float | None = None
    mean_abs_probability_difference: float | None = None
    disagreements_over_threshold: int | None = None
    decision_changes: dict[str, int] | None = None
    flagged: dict[str, int] | None = None
    labelled: LabelledComparison | None = None
    shadow_better_on_labels: bool | None = None


class PromotedOut(BaseModel):
    """The version made live, and what the engine now runs."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"promoted": 4, "loaded": {"live": 4, "shadow": None}}]})

    promoted: int
    loaded: LoadedModels | None
