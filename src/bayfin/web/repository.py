"""Read-only queries the console needs over the hub's registration table (firm search, counts by
city and industry). Like riskmonitor's bulk reads, they only read the hub's current rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, func, select
from sqlalchemy.orm import Session

from bayfin.creditdata import is_valid_credit_code
from bayfin.creditdata.models import QuarantinedRow as Quarantine
from bayfin.creditdata.models import RegistrationInformation as Reg
from bayfin.kernel.audit import AuditEntry


def search_firms(session: Session, text: str, limit: int = 20) -> list[dict[str, Any]]:
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
    rows = session.execute(select(Quarantine.source, Quarantine.reason, func.count(Quarantine.id))
                           .group_by(Quarantine.source, Quarantine.reason)).all()
    out: dict[str, dict[str, int]] = {}
    for source, reason, n in rows:
        out.setdefault(str(source), {})[str(reason)] = int(n)
    return out


def recent_audit_entries(session: Session, limit: int = 30) -> list[AuditEntry]:
    """The newest audit entries."""
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all())
