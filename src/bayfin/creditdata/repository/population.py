"""The hub's reads over the whole population, for modules that work on every firm at once.

:func:`bayfin.creditdata.enterprise_record` answers for one enterprise; scoring 800,000 firms, a risk
index over a region or the operator's dashboard cannot go through it firm by firm. These reads give
them plain rows of the hub's tables, in force on a date or now, without exposing the tables: the hub
keeps its models and queries to itself and other modules call only this surface (an import-linter
contract holds them to it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import String, func, or_, select
from sqlalchemy.orm import Session

from bayfin.creditdata.domain import FirmHit, is_valid_credit_code
from bayfin.creditdata.models import QuarantinedRow
from bayfin.creditdata.models import RegistrationInformation as Reg
from bayfin.creditdata.repository import fact_model, in_force

__all__ = [
    "codes_sharing_registration",
    "enterprises_by_city",
    "enterprises_by_founding_year",
    "enterprises_by_industry",
    "facts_in_force",
    "firm_name",
    "history_distinct_counts",
    "quarantine_by_source_and_reason",
    "registered_enterprises",
    "search_firms",
]


def facts_in_force(session: Session, record_type: str, columns: Sequence[str], *, as_of: date | None = None,
                   codes: Iterable[str] | None = None, order_by_as_of: bool = False) -> list[tuple[Any, ...]]:
    """``(credit_code, *columns)`` of every row of a record type in force on ``as_of`` (now when None),
    for all firms or only ``codes``; ``order_by_as_of`` sorts them by their as-of date."""
    model = fact_model(record_type)
    stmt = select(model.credit_code, *(getattr(model, c) for c in columns)).where(in_force(model, as_of))
    if codes is not None:
        stmt = stmt.where(model.credit_code.in_(list(codes)))
    if order_by_as_of:
        stmt = stmt.order_by(model.as_of)
    return [tuple(r) for r in session.execute(stmt)]


def history_distinct_counts(session: Session, record_type: str, columns: Sequence[str],
                            codes: Iterable[str] | None = None) -> dict[str, tuple[int, ...]]:
    """Per firm, how many distinct values each column has had over the whole history (changes)."""
    model = fact_model(record_type)
    stmt = select(model.credit_code, *(func.count(func.distinct(getattr(model, c))) for c in columns))
    if codes is not None:
        stmt = stmt.where(model.credit_code.in_(list(codes)))
    return {r[0]: tuple(int(n) for n in r[1:]) for r in session.execute(stmt.group_by(model.credit_code))}


def codes_sharing_registration(session: Session, *, legal_representatives: Sequence[str],
                               addresses: Sequence[str]) -> list[str]:
    """Firms whose registration in force names one of these legal representatives or addresses."""
    if not legal_representatives and not addresses:
        return []
    stmt = select(Reg.credit_code).where(
        Reg.replaced_on.is_(None),
        or_(Reg.legal_representative.in_(list(legal_representatives)), Reg.address.in_(list(addresses))))
    return list(session.scalars(stmt))


def search_firms(session: Session, text: str, limit: int = 20) -> list[FirmHit]:
    """Firms whose credit code is ``text`` or whose name contains it (current registrations)."""
    text = text.strip()
    stmt = select(Reg.credit_code, Reg.name, Reg.city_code, Reg.industry_code, Reg.status).where(
        Reg.replaced_on.is_(None))
    if is_valid_credit_code(text.upper()):
        stmt = stmt.where(Reg.credit_code == text.upper())
    else:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Reg.name.like(f"%{escaped}%", escape="\\"))
    rows = session.execute(stmt.order_by(Reg.name, Reg.credit_code).limit(limit)).all()
    return [{"credit_code": r.credit_code, "name": r.name, "city_code": r.city_code,
             "industry_code": r.industry_code, "status": r.status} for r in rows]


def firm_name(session: Session, credit_code: str) -> str | None:
    """The current registered name of a firm."""
    return session.scalar(select(Reg.name).where(Reg.credit_code == credit_code,
                                                  Reg.replaced_on.is_(None)).limit(1))


def registered_enterprises(session: Session) -> int:
    """Distinct enterprises with a current registration."""
    return int(session.scalar(select(func.count(func.distinct(Reg.credit_code)))
                              .where(Reg.replaced_on.is_(None))) or 0)


def enterprises_by_city(session: Session) -> dict[str, int]:
    """Enterprises per prefecture city code (the district code's first four digits + ``00``)."""
    city = func.substr(Reg.city_code, 1, 4)
    rows = session.execute(select(city, func.count(func.distinct(Reg.credit_code)))
                           .where(Reg.replaced_on.is_(None)).group_by(city)).all()
    return {f"{prefix}00": int(n) for prefix, n in rows if prefix}


def enterprises_by_industry(session: Session) -> dict[str, int]:
    """Enterprises per GB/T 4754 section letter (the industry code's first character)."""
    section = func.substr(Reg.industry_code, 1, 1)
    rows = session.execute(select(section, func.count(func.distinct(Reg.credit_code)))
                           .where(Reg.replaced_on.is_(None)).group_by(section)).all()
    return {str(s): int(n) for s, n in rows if s}


def enterprises_by_founding_year(session: Session) -> dict[str, int]:
    """Enterprises per year founded (the registration's 成立日期)."""
    year = func.substr(func.cast(Reg.founded_on, String), 1, 4)
    rows = session.execute(select(year, func.count(func.distinct(Reg.credit_code)))
                           .where(Reg.replaced_on.is_(None), Reg.founded_on.is_not(None))
                           .group_by(year).order_by(year)).all()
    return {str(y): int(n) for y, n in rows if y}


def quarantine_by_source_and_reason(session: Session) -> dict[str, dict[str, int]]:
    """Quarantined rows per delivery source and reason code."""
    rows = session.execute(select(QuarantinedRow.source, QuarantinedRow.reason, func.count(QuarantinedRow.id))
                           .group_by(QuarantinedRow.source, QuarantinedRow.reason)).all()
    out: dict[str, dict[str, int]] = {}
    for source, reason, n in rows:
        out.setdefault(str(source), {})[str(reason)] = int(n)
    return out
