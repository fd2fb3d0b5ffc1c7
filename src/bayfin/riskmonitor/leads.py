"""Portraits, the watchlist, the lead (线索) workflow and the feedback of lead outcomes to evaluation.

Lead states: open → dispatched (to a district or agency) → investigating → confirmed | dismissed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session
from typing_extensions import (
    TypedDict,  # pydantic reads these on Python 3.11 (the portrait API answers with them)
)

from bayfin.creditdata import enterprise_record
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import Conflict, NotFound
from bayfin.riskmonitor import repository as repo
from bayfin.riskmonitor.domain import LEVEL_RANK, TAGS
from bayfin.riskmonitor.models import RiskEvidence, RiskLead, RiskScore


class ScoreView(TypedDict):
    """A stored risk-index score."""

    scored_at: datetime
    score: float
    level: str
    categories: list[Any]
    dimensions: dict[str, Any]
    explanation: list[Any]
    estimates: dict[str, Any]
    trigger: str


class LeadView(TypedDict):
    """A lead (线索) and its history."""

    id: str
    credit_code: str
    status: str
    assignee: str | None
    score: float
    categories: list[Any]
    opened_at: datetime
    closed_at: datetime | None
    outcome_note: str | None
    history: list[Any]


class HistoryPoint(TypedDict):
    """One point of a firm's index history."""

    scored_at: datetime
    score: float
    level: str


class TagView(TypedDict):
    """A risk tag with the evidence behind it."""

    tag: str
    label: str
    method: str
    confidence: float
    source: str
    date: date
    snippet: str
    evidence_id: int | None


class EvidenceView(TypedDict):
    """A piece of evidence linked to the firm."""

    id: int
    source: str
    date: date
    reference: str
    link: str


class RelatedFirm(TypedDict):
    """A firm related to the portrait's firm, with its latest level."""

    credit_code: str
    score: float | None
    level: str


class Portrait(TypedDict):
    """An enterprise's risk portrait."""

    credit_code: str
    profile: dict[str, Any] | None
    current: ScoreView | None
    trend_points: float | None
    history: list[HistoryPoint]
    tags: list[TagView]
    evidence: list[EvidenceView]
    related_firms: list[RelatedFirm]
    leads: list[LeadView]


#: Allowed moves of a lead: from state → states it may go to.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("dispatched", "dismissed"),
    "dispatched": ("investigating", "dismissed"),
    "investigating": ("confirmed", "dismissed"),
    "confirmed": (),
    "dismissed": (),
}


def score_view(score: RiskScore) -> ScoreView:
    """A stored score as plain data."""
    return {
        "scored_at": score.scored_at,
        "score": score.score,
        "level": score.level,
        "categories": score.categories,
        "dimensions": score.dimensions,
        "explanation": score.explanation,
        "estimates": score.estimates,
        "trigger": score.trigger,
    }


def lead_view(lead: RiskLead) -> LeadView:
    """A lead as plain data."""
    return {
        "id": lead.id,
        "credit_code": lead.credit_code,
        "status": lead.status,
        "assignee": lead.assignee,
        "score": lead.score,
        "categories": lead.categories,
        "opened_at": lead.opened_at,
        "closed_at": lead.closed_at,
        "outcome_note": lead.outcome_note,
        "history": lead.history,
    }


def lead_views(session: Session, limit: int = 50) -> list[LeadView]:
    """The newest leads (at most ``limit``) as plain data, for the console."""
    return [lead_view(lead) for lead in repo.leads(session)[:limit]]


def portrait(session: Session, credit_code: str) -> Portrait:
    """The enterprise risk portrait: profile, tags with evidence, index history, related firms, leads."""
    code = credit_code.strip().upper()
    history = repo.score_history(session, code)
    tags = repo.tags_of(session, code)
    evidence = repo.evidence_of(session, code)
    try:
        record = enterprise_record(session, code)
        profile = record["registration"]["values"] if record["registration"] else None
    except NotFound:
        record, profile = None, None
    if not history and not tags and not evidence and record is None:
        raise NotFound(f"nothing is known about enterprise {code}")
    own = repo.firms_frame(session, [code])
    related = repo.related_firms_frame(session, own) if own.height else own
    latest = repo.latest_scores(session, related["credit_code"].to_list()) if related.height else {}
    trend = history[-1].score - history[-2].score if len(history) > 1 else None
    return {
        "credit_code": code,
        "profile": profile,
        "current": score_view(history[-1]) if history else None,
        "trend_points": None if trend is None else round(trend, 1),
        "history": [{"scored_at": s.scored_at, "score": s.score, "level": s.level} for s in history],
        "tags": [
            {
                "tag": t.tag,
                "label": TAGS.get(t.tag, t.tag),
                "method": t.method,
                "confidence": t.confidence,
                "source": t.source,
                "date": t.occurred_on,
                "snippet": t.snippet,
                "evidence_id": t.evidence_id,
            }
            for t in tags
        ],
        "evidence": [
            {
                "id": e.id,
                "source": e.source,
                "date": e.occurred_on,
                "reference": e.reference,
                "link": e.link_method,
            }
            for e in evidence
        ],
        "related_firms": [
            {
                "credit_code": c,
                "score": latest[c].score if c in latest else None,
                "level": latest[c].level if c in latest else "normal",
            }
            for c in related["credit_code"].to_list()
            if c != code
        ],
        "leads": [lead_view(lead) for lead in repo.leads(session, code=code)],
    }


def watchlist(session: Session, minimum: str = "high") -> list[dict[str, Any]]:
    """Firms whose latest level is ``minimum`` or above, highest index first."""
    scores = repo.latest_scores(session)
    rows = [s for s in scores.values() if LEVEL_RANK[s.level] >= LEVEL_RANK[minimum]]
    rows.sort(key=lambda s: -s.score)
    return [{"credit_code": s.credit_code, **score_view(s)} for s in rows]


def move_lead(
    session: Session,
    clock: Clock,
    lead_id: str,
    to: str,
    *,
    actor: str,
    assignee: str | None = None,
    note: str | None = None,
) -> RiskLead:
    """Move a lead along its workflow; a move the workflow does not allow is a conflict."""
    lead = repo.lead_by_id(session, lead_id)
    if lead is None:
        raise NotFound(f"no lead {lead_id}")
    if to not in TRANSITIONS.get(lead.status, ()):
        raise Conflict(f"lead {lead_id} is {lead.status}; it cannot become {to}")
    now = clock.now()
    lead.status = to
    if assignee:
        lead.assignee = assignee
    if to in ("confirmed", "dismissed"):
        lead.closed_at, lead.outcome_note = now, note
    lead.history = [*lead.history, {"at": now.isoformat(), "status": to, "by": actor, "assignee": assignee}]
    repo.flush(session)
    return lead


def lead_outcomes(session: Session) -> dict[str, Any]:
    """How the closed leads turned out: the confirmed share, by level at opening (feedback to evaluation)."""
    closed = [lead for lead in repo.leads(session) if lead.status in ("confirmed", "dismissed")]
    confirmed = sum(1 for lead in closed if lead.status == "confirmed")
    return {
        "closed": len(closed),
        "confirmed": confirmed,
        "dismissed": len(closed) - confirmed,
        "precision": round(confirmed / len(closed), 3) if closed else None,
        "open": sum(1 for lead in repo.leads(session) if lead.status not in ("confirmed", "dismissed")),
    }


def feedback_examples(session: Session) -> tuple[list[str], list[list[str]]]:
    """Texts of closed leads' evidence, labelled by the outcome: confirmed → the lead's categories,
    dismissed → no category. The classifier retrains on these with the generated corpus."""
    texts: list[str] = []
    labels: list[list[str]] = []
    for lead in repo.leads(session):
        if lead.status not in ("confirmed", "dismissed"):
            continue
        for evidence in repo.evidence_of(session, lead.credit_code):
            if isinstance(evidence, RiskEvidence) and evidence.source == "risk_web":
                texts.append(evidence.text)
                labels.append(list(lead.categories) if lead.status == "confirmed" else [])
    return texts, labels
