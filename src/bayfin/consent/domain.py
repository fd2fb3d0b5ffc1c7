"""Consent rules (授权): the artefact's terms, its lifecycle, and whether a given use is covered.

Pure: no database, no clock of its own. Modelled on ReBIT's Account Aggregator 2.0.0 consent artefact
(see docs/consent.md for the field-by-field mapping).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum


class ConsentStatus(StrEnum):
    """Where a consent is in its life; only ``active`` admits a query."""

    requested = "requested"
    active = "active"
    paused = "paused"
    rejected = "rejected"
    revoked = "revoked"
    expired = "expired"


class Purpose(StrEnum):
    """Coded purposes (AA Purpose.code); the artefact carries a free text beside the code."""

    loan_application = "101"
    credit_review = "102"
    post_loan_monitoring = "103"
    supply_chain_finance = "104"
    guarantee_assessment = "105"


PURPOSE_LABELS = {
    Purpose.loan_application: "Loan application (贷款申请)",
    Purpose.credit_review: "Credit review (授信审查)",
    Purpose.post_loan_monitoring: "Post-loan monitoring (贷后管理)",
    Purpose.supply_chain_finance: "Supply-chain finance (供应链金融)",
    Purpose.guarantee_assessment: "Guarantee assessment (担保评估)",
}


class DataCategory(StrEnum):
    """Data categories an enterprise can share (AA consentTypes / FITypes)."""

    registration = "registration"
    tax = "tax"
    social_security = "social_security"
    customs = "customs"
    courts = "courts"
    utilities = "utilities"
    score = "score"


class AccessMode(StrEnum):
    """View once (AA fetchType ONETIME) or periodic (PERIODIC, e.g. post-loan monitoring)."""

    once = "once"
    periodic = "periodic"


class PeriodUnit(StrEnum):
    """Units for frequency limits and data life."""

    day = "day"
    month = "month"
    year = "year"


class ConsentAction(StrEnum):
    """What the parties can do to a consent."""

    approve = "approve"
    reject = "reject"
    pause = "pause"
    resume = "resume"
    revoke = "revoke"
    expire = "expire"


# Which action is legal from which status, and where it leads.
_TRANSITIONS: dict[tuple[ConsentStatus, ConsentAction], ConsentStatus] = {
    (ConsentStatus.requested, ConsentAction.approve): ConsentStatus.active,
    (ConsentStatus.requested, ConsentAction.reject): ConsentStatus.rejected,
    (ConsentStatus.requested, ConsentAction.expire): ConsentStatus.expired,
    (ConsentStatus.active, ConsentAction.pause): ConsentStatus.paused,
    (ConsentStatus.active, ConsentAction.revoke): ConsentStatus.revoked,
    (ConsentStatus.active, ConsentAction.expire): ConsentStatus.expired,
    (ConsentStatus.paused, ConsentAction.resume): ConsentStatus.active,
    (ConsentStatus.paused, ConsentAction.revoke): ConsentStatus.revoked,
    (ConsentStatus.paused, ConsentAction.expire): ConsentStatus.expired,
}


class IllegalTransition(Exception):
    """The action is not allowed from the consent's current status."""


def next_status(current: ConsentStatus, action: ConsentAction) -> ConsentStatus:
    """The status after ``action``; raises :class:`IllegalTransition` when it is not allowed."""
    try:
        return _TRANSITIONS[(current, action)]
    except KeyError:
        raise IllegalTransition(f"cannot {action.value} a consent that is {current.value}") from None


@dataclass(frozen=True)
class Frequency:
    """At most ``value`` uses per ``unit`` (AA Frequency)."""

    unit: PeriodUnit
    value: int


@dataclass(frozen=True)
class ConsentTerms:
    """What was granted: the parts of the artefact that decide whether a use is covered."""

    consent_id: str
    credit_code: str
    institution_id: str
    purpose: Purpose
    categories: frozenset[DataCategory]
    access_mode: AccessMode
    frequency: Frequency
    data_from: date
    data_to: date
    valid_from: datetime
    valid_until: datetime
    status: ConsentStatus
    use_count: int = 0


@dataclass(frozen=True)
class AccessGrant:
    """A use that the consent covers: exactly these categories and this data window."""

    consent_id: str
    categories: frozenset[DataCategory]
    data_from: date
    data_to: date
    purpose: Purpose
    consumes: bool  # a view-once consent is used up by this access


@dataclass(frozen=True)
class AccessRefusal:
    """Why a use is not covered, as a stable reason code and a sentence."""

    code: str
    message: str
    retry_after_seconds: int | None = None


@dataclass(frozen=True)
class AccessRequest:
    """One attempted use of a consent by an institution."""

    institution_id: str
    credit_code: str
    categories: frozenset[DataCategory] = field(default_factory=frozenset)  # empty: all granted


def period_start(at: datetime, unit: PeriodUnit) -> datetime:
    """Start of the calendar period (UTC) containing ``at``."""
    at = at.astimezone(UTC)
    if unit is PeriodUnit.day:
        return at.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit is PeriodUnit.month:
        return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return at.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def period_end(at: datetime, unit: PeriodUnit) -> datetime:
    """Start of the next calendar period after the one containing ``at``."""
    start = period_start(at, unit)
    if unit is PeriodUnit.day:
        return start + timedelta(days=1)
    if unit is PeriodUnit.month:
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start.replace(year=start.year + 1)


def effective_status(terms: ConsentTerms, now: datetime) -> ConsentStatus:
    """The status at ``now``: a consent past its expiry is expired whatever the stored status."""
    if terms.status in (ConsentStatus.active, ConsentStatus.paused, ConsentStatus.requested) \
            and now >= terms.valid_until:
        return ConsentStatus.expired
    return terms.status


def evaluate_access(terms: ConsentTerms, request: AccessRequest, now: datetime,
                    uses_in_period: int) -> AccessGrant | AccessRefusal:
    """Decide whether ``request`` is covered by ``terms`` at ``now``.

    The caller has already checked that the consent belongs to the requesting institution (so that a
    stranger learns nothing); this checks everything else.
    """
    if request.institution_id != terms.institution_id:
        return AccessRefusal("consent_not_found", "no such consent for your institution")
    if request.credit_code != terms.credit_code:
        return AccessRefusal("consent_other_enterprise",
                             "the consent was given by a different enterprise")
    status = effective_status(terms, now)
    if status is not ConsentStatus.active:
        return AccessRefusal(f"consent_{status.value}", f"the consent is {status.value}")
    if now < terms.valid_from:
        return AccessRefusal("consent_not_yet_valid", "the consent is not valid yet")
    if terms.access_mode is AccessMode.once and terms.use_count >= 1:
        return AccessRefusal("consent_used", "a view-once consent has already been used")
    if uses_in_period >= terms.frequency.value:
        retry = int((period_end(now, terms.frequency.unit) - now).total_seconds()) + 1
        return AccessRefusal("consent_frequency_exhausted",
                             f"the consent allows {terms.frequency.value} uses per "
                             f"{terms.frequency.unit.value}; all are used", retry)
    wanted = request.categories or terms.categories
    outside = wanted - terms.categories
    if outside:
        return AccessRefusal("consent_category_not_granted",
                             "not granted: " + ", ".join(sorted(c.value for c in outside)))
    return AccessGrant(consent_id=terms.consent_id, categories=frozenset(wanted),
                       data_from=terms.data_from, data_to=terms.data_to, purpose=terms.purpose,
                       consumes=terms.access_mode is AccessMode.once)


def narrow(granted: frozenset[DataCategory], requested: frozenset[DataCategory]) -> frozenset[
        DataCategory]:
    """Categories an approver keeps; approving can only narrow what was requested, never widen it."""
    if not granted:
        return requested
    if not granted <= requested:
        raise ValueError("an approval may only narrow the requested categories")
    return granted
