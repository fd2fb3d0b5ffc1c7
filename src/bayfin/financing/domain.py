"""Pure rules of the financing marketplace: the application state machine, the bank's service window
in working days, and the platform's statistics over financings.

The application states follow OCEN 4.0's loan-application and servicing states as the public model:
submitted → accepted → under_review → offered → approved | rejected → disbursed → repaid | overdue |
written_off (overdue → repaid | written_off); the enterprise may withdraw before a decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

#: China Standard Time: working days and weekends are counted on the local calendar.
CHINA_TZ = timezone(timedelta(hours=8), "CST")

#: The platform's service window: the bank responds within this many working days of submission.
SERVICE_WINDOW_WORKING_DAYS = 5


class ApplicationState(StrEnum):
    """Where an application stands (OCEN 4.0 loan-application / servicing states)."""

    submitted = "submitted"
    accepted = "accepted"
    under_review = "under_review"
    offered = "offered"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"
    disbursed = "disbursed"
    repaid = "repaid"
    overdue = "overdue"
    written_off = "written_off"


class Party(StrEnum):
    """Who moves an application: the bank owning the product, or the applying enterprise."""

    institution = "institution"
    enterprise = "enterprise"


S = ApplicationState

#: Every legal move, and the one party allowed to make it.
TRANSITIONS: dict[ApplicationState, dict[ApplicationState, Party]] = {
    S.submitted: {S.accepted: Party.institution, S.rejected: Party.institution,
                  S.withdrawn: Party.enterprise},
    S.accepted: {S.under_review: Party.institution, S.rejected: Party.institution,
                 S.withdrawn: Party.enterprise},
    S.under_review: {S.offered: Party.institution, S.rejected: Party.institution,
                     S.withdrawn: Party.enterprise},
    S.offered: {S.approved: Party.institution, S.rejected: Party.institution,
                S.withdrawn: Party.enterprise},
    S.approved: {S.disbursed: Party.institution},
    S.disbursed: {S.repaid: Party.institution, S.overdue: Party.institution,
                  S.written_off: Party.institution},
    S.overdue: {S.repaid: Party.institution, S.written_off: Party.institution},
}

#: A decision ends the bank's review: its time counts towards the average time to decision.
DECISIONS = frozenset({S.approved, S.rejected})
#: States in which the money was lent: these applications are the platform's financings.
FINANCED = frozenset({S.disbursed, S.repaid, S.overdue, S.written_off})
#: States from which nothing moves any more.
FINAL = frozenset(s for s in ApplicationState if s not in TRANSITIONS)
#: States still waiting on the bank (the open queue).
OPEN = frozenset({S.submitted, S.accepted, S.under_review, S.offered})


class IllegalTransition(Exception):
    """A move the state machine refuses; says the current state and what may come next."""

    def __init__(self, current: ApplicationState, target: str, allowed: list[str], why: str) -> None:
        super().__init__(why)
        self.current = current
        self.target = target
        self.allowed = allowed


@dataclass(frozen=True)
class TransitionTerms:
    """What the bank reports with a move: the offer or approval terms, or the reason for a refusal."""

    amount_fen: int | None = None
    rate: Decimal | None = None
    term_months: int | None = None
    reason: str | None = None


def allowed_next(current: ApplicationState, party: Party | None = None) -> list[str]:
    """The states ``party`` (or anyone, when None) may move an application to from ``current``."""
    return [t.value for t, who in TRANSITIONS.get(current, {}).items() if party is None or who is party]


def check_transition(current: ApplicationState, target: str, party: Party,
                     terms: TransitionTerms) -> ApplicationState:
    """The target state when ``party`` may move from ``current`` to it with these terms; else raises.

    Raises IllegalTransition for an unknown or unreachable state or the wrong party, ValueError when
    the terms a state needs are missing (approved and offered: amount, rate and term; rejected: reason).
    """
    try:
        wanted = ApplicationState(target)
    except ValueError:
        raise IllegalTransition(current, target, allowed_next(current, party),
                                f"{target!r} is not an application state") from None
    moves = TRANSITIONS.get(current, {})
    if wanted not in moves:
        raise IllegalTransition(current, target, allowed_next(current, party),
                                f"an application that is {current.value} cannot become {target}")
    if moves[wanted] is not party:
        raise IllegalTransition(current, target, allowed_next(current, party),
                                f"only the {moves[wanted].value} may move an application to {target}")
    if wanted in (S.offered, S.approved):
        if terms.amount_fen is None or terms.rate is None or terms.term_months is None:
            raise ValueError(f"{target} needs amount_fen, rate and term_months")
        if terms.amount_fen <= 0 or terms.term_months <= 0 or not Decimal(0) < terms.rate < Decimal(1):
            raise ValueError("amount and term must be positive and the rate an annual fraction in (0, 1)")
    if wanted is S.rejected and not (terms.reason or "").strip():
        raise ValueError("a rejection needs a reason")
    return wanted


# -- the service window -----------------------------------------------------------------------------
def is_working_day(day: date, holidays: frozenset[date]) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: datetime, days: int, holidays: frozenset[date],
                     tz: timezone = CHINA_TZ) -> datetime:
    """The moment ``days`` working days after ``start`` (same local time of day; weekends and
    holidays skipped on the local calendar), returned in UTC. A start on a non-working day counts
    from the beginning of the next working day, so the bank always gets ``days`` full working days."""
    local = start.astimezone(tz)
    day = local.date()
    if not is_working_day(day, holidays):
        while not is_working_day(day, holidays):
            day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), tz)
    added = 0
    while added < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            added += 1
    return datetime.combine(day, local.timetz()).astimezone(UTC)


def service_due_at(submitted_at: datetime, holidays: frozenset[date],
                   working_days: int = SERVICE_WINDOW_WORKING_DAYS) -> datetime:
    """When the bank's first response to an application submitted at ``submitted_at`` is due."""
    return add_working_days(submitted_at, working_days, holidays)


class WindowStatus(StrEnum):
    """How an application stands against the bank's service window."""

    responded = "responded"
    on_time = "on_time"
    due_soon = "due_soon"
    breached = "breached"


def window_status(state: ApplicationState, responded_at: datetime | None, due_at: datetime,
                  now: datetime) -> WindowStatus:
    """Responded (or left the queue), breached (due passed without a response), due within a day,
    or on time."""
    if responded_at is not None or state is not S.submitted:
        return WindowStatus.responded
    if now > due_at:
        return WindowStatus.breached
    if due_at - now <= timedelta(days=1):
        return WindowStatus.due_soon
    return WindowStatus.on_time


def parse_holidays(text: str) -> frozenset[date]:
    """Holidays from a comma- or whitespace-separated list of ISO dates (ValueError on a bad one)."""
    parts = [p for p in text.replace(",", " ").split() if p]
    return frozenset(date.fromisoformat(p) for p in parts)


# -- statistics -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Financing:
    """One disbursed application as the statistics see it."""

    application_id: str
    credit_code: str
    city_code: str | None
    industry_code: str | None
    institution_id: str
    product_type: str
    amount_fen: int
    disbursed_at: datetime


@dataclass(frozen=True)
class Decided:
    """One decided application: when it was submitted and when the bank decided."""

    submitted_at: datetime
    decided_at: datetime


def _breakdown(financings: Iterable[Financing], key: str) -> list[dict[str, object]]:
    count: dict[str, int] = defaultdict(int)
    amount: dict[str, int] = defaultdict(int)
    for f in financings:
        k = getattr(f, key) or "unknown"
        count[k] += 1
        amount[k] += f.amount_fen
    return [{"key": k, "financings": count[k], "amount_fen": amount[k]}
            for k in sorted(count, key=lambda k: (-amount[k], k))]


def _by_month(financings: Iterable[Financing], tz: timezone = CHINA_TZ) -> list[dict[str, object]]:
    """Financings and amounts per calendar month of disbursement (China time), oldest first, with the
    empty months between the first and the last filled in, so a trend chart reads evenly."""
    count: dict[str, int] = defaultdict(int)
    amount: dict[str, int] = defaultdict(int)
    for f in financings:
        month = f.disbursed_at.astimezone(tz).strftime("%Y-%m")
        count[month] += 1
        amount[month] += f.amount_fen
    if not count:
        return []
    first, last = min(count), max(count)
    year, mon = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{mon:02d}" <= last:
        months.append(f"{year:04d}-{mon:02d}")
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return [{"key": m, "financings": count.get(m, 0), "amount_fen": amount.get(m, 0)} for m in months]


def first_time_borrower_count(financings: Sequence[Financing]) -> int:
    """How many financings are the borrowing firm's first disbursed financing on the platform."""
    return len({f.credit_code for f in financings})


def statistics(*, registered_enterprises: int, demands: int, open_demands: int,
               applications: int, financings: Sequence[Financing],
               decided: Sequence[Decided]) -> dict[str, object]:
    """The platform's figures: counts, financings and amounts by city, industry, institution, product
    type and month of disbursement, the first-time-borrower share and the average time to decision
    (hours)."""
    first = first_time_borrower_count(financings)
    hours = [(d.decided_at - d.submitted_at).total_seconds() / 3600 for d in decided]
    return {
        "registered_enterprises": registered_enterprises,
        "demands": demands,
        "open_demands": open_demands,
        "applications": applications,
        "financings": len(financings),
        "financed_amount_fen": sum(f.amount_fen for f in financings),
        "first_time_borrowers": first,
        "first_time_borrower_share": round(first / len(financings), 6) if financings else None,
        "decisions": len(decided),
        "average_hours_to_decision": round(sum(hours) / len(hours), 3) if hours else None,
        "by_city": _breakdown(financings, "city_code"),
        "by_industry": _breakdown(financings, "industry_code"),
        "by_institution": _breakdown(financings, "institution_id"),
        "by_product_type": _breakdown(financings, "product_type"),
        "by_month": _by_month(financings),
    }
