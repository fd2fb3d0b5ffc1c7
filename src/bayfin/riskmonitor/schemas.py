"""Response shapes of the risk-monitoring API (what ``leads`` and the monitor produce, typed)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bayfin.riskmonitor.leads import EvidenceView, HistoryPoint, RelatedFirm, TagView

_CODE = "91440300MA5FAKE01X"
_SCORED: dict[str, Any] = {"scored_at": "2025-01-02T03:04:05Z", "score": 81.5, "level": "high",
           "categories": ["illegal_fundraising"], "dimensions": {"texts": 0.9, "complaints": 0.6},
           "explanation": [{"feature": "recent_complaints", "points": 12.0}],
           "estimates": {"people": 120, "amount_fen": 35000000}, "trigger": "batch:B1"}
_LEAD: dict[str, Any] = {
    "id": "01JABCDEF0123456789ABCDEFG", "credit_code": _CODE, "status": "open", "assignee": None,
         "score": 81.5, "categories": ["illegal_fundraising"], "opened_at": "2025-01-02T03:04:05Z",
         "closed_at": None, "outcome_note": None,
         "history": [{"at": "2025-01-02T03:04:05+00:00", "status": "open"}]}


class ScoreOut(BaseModel):
    """A stored risk index of a firm, with what drove it."""

    scored_at: datetime
    score: float
    level: str
    categories: list[str]
    dimensions: dict[str, Any] = Field(description="Each dimension's value, by dimension name")
    explanation: list[Any] = Field(description="The features that moved the index most")
    estimates: dict[str, Any] = Field(description="Estimated people and amounts involved")
    trigger: str


class WatchlistEntryOut(ScoreOut):
    """A firm at or above the level asked for, with its latest index."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"credit_code": _CODE, **_SCORED}]})

    credit_code: str


class LeadOut(BaseModel):
    """A lead (线索) and its workflow so far."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LEAD]})

    id: str
    credit_code: str
    status: str
    assignee: str | None
    score: float
    categories: list[str]
    opened_at: datetime
    closed_at: datetime | None
    outcome_note: str | None
    history: list[dict[str, Any]] = Field(description="Each move: at, status, by, assignee")


class ReviewItemOut(BaseModel):
    """A mention that could not be linked with confidence, with the candidates weighed."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "evidence_id": 42, "source": "risk_web", "date": "2025-01-02", "mention": "某某投资公司",
        "confidence": 0.55, "candidates": [{"credit_code": _CODE, "score": 0.55}], "text": "…"}]})

    evidence_id: int
    source: str
    date: date
    mention: str | None
    confidence: float
    candidates: list[Any]
    text: str


class PortraitOut(BaseModel):
    """The enterprise risk portrait: profile, tags with evidence, index history, related firms, leads."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "credit_code": _CODE, "profile": {"name": "某某投资有限公司"}, "current": _SCORED,
        "trend_points": 4.5, "history": [{"scored_at": "2025-01-02T03:04:05Z", "score": 81.5,
                                          "level": "high"}],
        "tags": [], "evidence": [], "related_firms": [], "leads": [_LEAD]}]})

    credit_code: str
    profile: dict[str, Any] | None = Field(description="The hub's registration values, when known")
    current: ScoreOut | None
    trend_points: float | None
    history: list[HistoryPoint]
    tags: list[TagView]
    evidence: list[EvidenceView]
    related_firms: list[RelatedFirm]
    leads: list[LeadOut]


class LevelAlertOut(BaseModel):
    """A firm whose level crossed a threshold, and the lead opened for it (if any)."""

    model_config = ConfigDict(populate_by_name=True)

    credit_code: str
    from_level: str = Field(alias="from")
    to_level: str = Field(alias="to")
    score: float
    lead_id: str | None


class RescoreOut(BaseModel):
    """The result of re-scoring one firm."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "credit_code": _CODE, "stored": 1, "alerts": [{"credit_code": _CODE, "from": "attention",
                                                       "to": "high", "score": 81.5, "lead_id": None}]}]})

    credit_code: str
    stored: int
    alerts: list[LevelAlertOut]


class ResolvedOut(BaseModel):
    """A mention linked to a firm by an analyst."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"evidence_id": 42, "credit_code": _CODE, "status": "resolved"}]})

    evidence_id: int
    credit_code: str | None
    status: str


class LeadOutcomesOut(BaseModel):
    """How closed leads turned out: the confirmed share, fed back to evaluation."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"closed": 10, "confirmed": 7, "dismissed": 3, "precision": 0.7, "open": 4}]})

    closed: int
    confirmed: int
    dismissed: int
    precision: float | None
    open: int
