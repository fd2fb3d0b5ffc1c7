"""API shapes (the event itself is :class:`bayfin.antifraud.events.FraudEvent`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


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


class TotalsRow(BaseModel):
    """Decisions and amounts for one group."""

    group: str
    decisions: int
    blocked: int
    reviewed: int
    challenged: int
    amount_fen: int
    amount_protected_fen: int


class TotalsOut(BaseModel):
    """Totals by typology, channel, outcome or type."""

    by: str
    rows: list[TotalsRow]
    amount_protected_fen: int


class ListEntryIn(BaseModel):
    """A new list entry."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["block", "allow", "watch"]
    entity_type: Literal["device", "ip", "account", "beneficiary", "customer", "card"]
    value: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=200)
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
