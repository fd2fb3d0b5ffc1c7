"""Every query of risk monitoring (SQLAlchemy 2 ``select()``), returning rows or polars frames."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

# Scoring 600k firms cannot go through enterprise_record one firm at a time: the hub's population
# reads give the registration and social-insurance rows in bulk.
import bayfin.creditdata as hub
from bayfin.kernel.db import Base
from bayfin.kernel.pagination import PageRequest, keyset
from bayfin.riskmonitor.domain import promised_rate_bp
from bayfin.riskmonitor.features import EVIDENCE_SCHEMA, FIRM_SCHEMA, LICENCE_SCHEMA, TAG_SCHEMA
from bayfin.riskmonitor.models import (
    RiskAlert,
    RiskBatch,
    RiskEvidence,
    RiskLead,
    RiskLicence,
    RiskQuarantine,
    RiskScore,
    RiskTag,
)


def add(session: Session, *rows: Base) -> None:
    """Stage new rows (batches, quarantine, evidence, tags, scores, alerts, leads) in the session."""
    session.add_all(rows)


def flush(session: Session) -> None:
    """Write what the session holds (ids assigned); the caller's transaction commits."""
    session.flush()


def evidence_by_id(session: Session, evidence_id: int) -> RiskEvidence | None:
    """One piece of evidence by id, if any."""
    return session.get(RiskEvidence, evidence_id)


def lead_by_id(session: Session, lead_id: str) -> RiskLead | None:
    """One lead by id, if any."""
    return session.get(RiskLead, lead_id)


def known_hashes(session: Session, hashes: list[str]) -> set[str]:
    """Which evidence content hashes are already stored."""
    found: set[str] = set()
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        found.update(
            session.scalars(select(RiskEvidence.content_hash).where(RiskEvidence.content_hash.in_(chunk)))
        )
    return found


def registrations(session: Session) -> list[tuple[str, str | None, str | None]]:
    """(credit code, name, city code) of every firm's registration in force."""
    return [(r[0], r[1], r[2]) for r in hub.facts_in_force(session, "registration", ("name", "city_code"))]


def filed_site_texts(session: Session) -> list[tuple[str, str]]:
    """(credit code, page text) of web evidence whose ICP filing names the firm."""
    stmt = select(RiskEvidence.credit_code, RiskEvidence.text).where(RiskEvidence.link_method == "icp_filing")
    return [(r[0], r[1]) for r in session.execute(stmt) if r[0]]


def _restrict(stmt: Any, column: Any, codes: Iterable[str] | None) -> Any:
    return stmt if codes is None else stmt.where(column.in_(list(codes)))


def firms_frame(session: Session, codes: Iterable[str] | None = None) -> pl.DataFrame:
    """Firms with registration in force, capital, latest insured headcount and count of changes."""
    wanted = None if codes is None else list(codes)
    current = hub.facts_in_force(session, "registration", (
        "legal_representative", "address", "city_code", "registered_capital_fen"), codes=wanted)
    history = hub.history_distinct_counts(session, "registration", ("legal_representative", "address"),
                                          codes=wanted)
    changes = {code: max(0, reps - 1) + max(0, addresses - 1) for code, (reps, addresses) in history.items()}
    heads: dict[str, int] = {}
    for code, counts in hub.facts_in_force(session, "social_insurance", ("insured_headcount",), codes=wanted,
                                           order_by_as_of=True):
        values = [v for v in (counts or []) if v is not None]
        if values:
            heads[code] = values[-1]
    rows = [
        {
            "credit_code": r[0],
            "legal_representative": r[1],
            "address": r[2],
            "city_code": r[3],
            "capital_fen": r[4],
            "headcount": heads.get(r[0]),
            "changes": changes.get(r[0], 0),
        }
        for r in current
    ]
    return pl.DataFrame(rows, schema=FIRM_SCHEMA)


def related_firms_frame(session: Session, own: pl.DataFrame) -> pl.DataFrame:
    """Firms sharing a legal representative (in the same city) or an address with any of ``own``."""
    reps = own.select("legal_representative").drop_nulls().to_series().to_list()
    addresses = own.select("address").drop_nulls().to_series().to_list()
    codes = hub.codes_sharing_registration(session, legal_representatives=reps, addresses=addresses)
    return firms_frame(session, codes) if codes else own.clear()


def licence_numbers(session: Session) -> set[str]:
    """Every licence number on the register."""
    return set(session.scalars(select(RiskLicence.licence_no)))


def evidence_frame(session: Session, codes: Iterable[str] | None = None) -> pl.DataFrame:
    """Evidence linked to firms (optionally only these firms) as a frame."""
    ev = RiskEvidence
    stmt = _restrict(
        select(
            ev.id,
            ev.credit_code,
            ev.source,
            ev.occurred_on,
            ev.people,
            ev.amount_fen,
            ev.region_code,
            ev.text,
        ).where(ev.credit_code.is_not(None)),
        ev.credit_code,
        codes,
    )
    rows = [
        {
            "id": r[0],
            "credit_code": r[1],
            "source": r[2],
            "occurred_on": r[3],
            "people": r[4],
            "amount_fen": r[5],
            "region_code": r[6],
            "promised_rate_bp": promised_rate_bp(r[7]),
        }
        for r in session.execute(stmt)
    ]
    return pl.DataFrame(rows, schema=EVIDENCE_SCHEMA)


def tags_frame(session: Session, codes: Iterable[str] | None = None) -> pl.DataFrame:
    """Tags (optionally of these firms) as a frame."""
    stmt = _restrict(
        select(RiskTag.credit_code, RiskTag.tag, RiskTag.method, RiskTag.confidence),
        RiskTag.credit_code,
        codes,
    )
    return pl.DataFrame([tuple(r) for r in session.execute(stmt)], schema=TAG_SCHEMA, orient="row")


def licences_frame(session: Session, codes: Iterable[str] | None = None) -> pl.DataFrame:
    """Licence register entries (optionally of these firms) as a frame."""
    lic = RiskLicence
    stmt = _restrict(select(lic.credit_code, lic.licence_type, lic.valid_until), lic.credit_code, codes)
    return pl.DataFrame([tuple(r) for r in session.execute(stmt)], schema=LICENCE_SCHEMA, orient="row")


def latest_scores(session: Session, codes: Iterable[str] | None = None) -> dict[str, RiskScore]:
    """Each firm's most recent score."""
    newest = _restrict(
        select(RiskScore.credit_code, func.max(RiskScore.id).label("id")).group_by(RiskScore.credit_code),
        RiskScore.credit_code,
        codes,
    ).subquery()
    stmt = select(RiskScore).join(newest, RiskScore.id == newest.c.id)
    return {s.credit_code: s for s in session.scalars(stmt)}


def score_history(session: Session, code: str) -> list[RiskScore]:
    """A firm's scores, oldest first."""
    return list(
        session.scalars(select(RiskScore).where(RiskScore.credit_code == code).order_by(RiskScore.id))
    )


def tags_of(session: Session, code: str) -> list[RiskTag]:
    """A firm's tags with their evidence."""
    return list(
        session.scalars(select(RiskTag).where(RiskTag.credit_code == code).order_by(RiskTag.occurred_on))
    )


def evidence_of(session: Session, code: str) -> list[RiskEvidence]:
    """A firm's linked evidence."""
    return list(
        session.scalars(
            select(RiskEvidence).where(RiskEvidence.credit_code == code).order_by(RiskEvidence.occurred_on)
        )
    )


def review_queue(session: Session, page: PageRequest | None = None) -> list[RiskEvidence]:
    """Mentions awaiting a human: unresolved or low-confidence links (a page, one row beyond)."""
    stmt = select(RiskEvidence).where(RiskEvidence.review_status == "open")
    return list(session.scalars(keyset(stmt, [RiskEvidence.id], page or PageRequest())))


def leads(session: Session, status: str | None = None, code: str | None = None,
          page: PageRequest | None = None) -> list[RiskLead]:
    """Leads, newest first, optionally by status or firm; one page (one row beyond) when asked."""
    stmt = select(RiskLead).order_by(RiskLead.opened_at.desc(), RiskLead.id.desc())
    if status:
        stmt = stmt.where(RiskLead.status == status)
    if code:
        stmt = stmt.where(RiskLead.credit_code == code)
    if page is not None:
        stmt = keyset(stmt, [RiskLead.opened_at, RiskLead.id], page, descending=True)
    return list(session.scalars(stmt))


def alerts(session: Session, limit: int = 100) -> list[RiskAlert]:
    """The newest alerts."""
    return list(session.scalars(select(RiskAlert).order_by(RiskAlert.id.desc()).limit(limit)))


def batches(session: Session) -> list[RiskBatch]:
    """Every evidence batch, in ingestion order."""
    return list(session.scalars(select(RiskBatch).order_by(RiskBatch.ingested_at, RiskBatch.id)))


def quarantined(session: Session, source: str | None = None) -> list[RiskQuarantine]:
    """Quarantined rows, optionally of one source."""
    stmt = select(RiskQuarantine).order_by(RiskQuarantine.id)
    if source:
        stmt = stmt.where(RiskQuarantine.source == source)
    return list(session.scalars(stmt))
