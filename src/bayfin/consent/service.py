"""Consent use cases: request, approve (narrowing), reject, pause, resume, revoke, and authorize a use.

Services only flush; the edge commits. Every change and every use, allowed or refused, is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bayfin.consent import domain as d
from bayfin.consent.errors import (
    ConsentFrequencyExhausted,
    ConsentNotFound,
    ConsentRefused,
    ConsentTransitionRefused,
)
from bayfin.consent.models import Consent, ConsentEvent, ConsentUse
from bayfin.consent.repository import ConsentRepository
from bayfin.consent.signing import sign_detached, verify_detached
from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import Forbidden, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.kernel.observability import CONSENT_USES, after_commit
from bayfin.kernel.pagination import PageRequest
from bayfin.kernel.security import KeyStore, Principal
from bayfin.kernel.tenancy import TenantScope

ARTEFACT_VERSION = "bayfin-consent/1.0 (mapped to ReBIT AA 2.0.0)"


@dataclass(frozen=True)
class ConsentRequestData:
    """What an institution asks for."""

    credit_code: str
    purpose: d.Purpose
    purpose_text: str
    categories: frozenset[d.DataCategory]
    access_mode: d.AccessMode
    frequency: d.Frequency
    data_from: date
    data_to: date
    validity_days: int
    data_life: d.Frequency
    linked_application_id: str | None = None


def terms_of(consent: Consent) -> d.ConsentTerms:
    """The pure terms of a stored consent."""
    return d.ConsentTerms(
        consent_id=consent.id, credit_code=consent.credit_code,
        institution_id=consent.institution_id, purpose=d.Purpose(consent.purpose_code),
        categories=frozenset(d.DataCategory(c) for c in consent.categories),
        access_mode=d.AccessMode(consent.access_mode),
        frequency=d.Frequency(d.PeriodUnit(consent.frequency_unit), consent.frequency_value),
        data_from=consent.data_from, data_to=consent.data_to, valid_from=consent.valid_from,
        valid_until=consent.valid_until, status=d.ConsentStatus(consent.status),
        use_count=consent.use_count)


def artefact(consent: Consent) -> dict[str, Any]:
    """The consent as its artefact, with AA 2.0.0 names (what is signed on approval)."""
    return {
        "ver": ARTEFACT_VERSION,
        "consentId": consent.id,
        "Customer": {"id": consent.credit_code, "approvedBy": consent.approved_by},
        "DataConsumer": {"id": consent.institution_id, "type": "FIU"},
        "Purpose": {"code": consent.purpose_code, "text": consent.purpose_text,
                    "Category": {"type": d.PURPOSE_LABELS[d.Purpose(consent.purpose_code)]}},
        "consentTypes": sorted(consent.categories),
        "consentMode": "STORE" if consent.data_life_value > 0 else "VIEW",
        "fetchType": "ONETIME" if consent.access_mode == d.AccessMode.once else "PERIODIC",
        "Frequency": {"unit": consent.frequency_unit.upper(), "value": consent.frequency_value},
        "FIDataRange": {"from": consent.data_from.isoformat(), "to": consent.data_to.isoformat()},
        "DataLife": {"unit": consent.data_life_unit.upper(), "value": consent.data_life_value},
        "consentStart": consent.valid_from.isoformat(),
        "consentExpiry": consent.valid_until.isoformat(),
        "linkedApplicationId": consent.linked_application_id,
    }


class ConsentService:
    """The consent lifecycle and the check every data query goes through."""

    def __init__(self, session: Session, audit: AuditLog, clock: Clock, keys: KeyStore) -> None:
        self.session = session
        self.repo = ConsentRepository(session)
        self.audit = audit
        self.clock = clock
        self.keys = keys

    # -- visibility -------------------------------------------------------------------------
    def find(self, consent_id: str) -> Consent | None:
        """A consent by id with no caller's scope: for system jobs (the monitoring scan) that hold the
        reference from their own records and judge its status themselves."""
        return self.repo.get(consent_id)

    def get_for(self, principal: Principal, consent_id: str) -> Consent:
        """A consent the caller may see: its institution's or its enterprise's; else not found."""
        consent = self.repo.get(consent_id)
        if consent is None or not self._visible(principal, consent):
            raise ConsentNotFound("no such consent")
        self._expire_if_due(consent)
        return consent

    def list_for(self, principal: Principal, status: str | None = None, limit: int = 100,
                 page: PageRequest | None = None) -> Sequence[Consent]:
        """Consents the caller may see, newest first (one page, one row beyond, when asked)."""
        own = TenantScope.of(principal).organization  # no organization: 403, never every consent
        if principal.organization_type == "institution":
            rows = self.repo.list(institution_id=own, status=status, limit=limit, page=page)
        elif principal.organization_type == "enterprise":
            rows = self.repo.list(credit_code=own, status=status, limit=limit, page=page)
        else:
            raise Forbidden("only institutions and enterprises have consents")
        for row in rows:
            self._expire_if_due(row)
        return rows

    @staticmethod
    def _visible(principal: Principal, consent: Consent) -> bool:
        if principal.organization_type == "institution":
            return consent.institution_id == principal.organization_id
        if principal.organization_type == "enterprise":
            return consent.credit_code == principal.organization_id
        return False

    # -- lifecycle --------------------------------------------------------------------------
    def request(self, principal: Principal, data: ConsentRequestData) -> Consent:
        """An institution asks an enterprise for consent."""
        if principal.organization_type != "institution" or not principal.organization_id:
            raise Forbidden("only a financial institution can request consent")
        return self._create(principal.organization_id, principal, data, "consent.request",
                            "institution_request")

    def request_for(self, institution_id: str, requested_by: Principal,
                    data: ConsentRequestData) -> Consent:
        """The platform asks for consent on an institution's behalf (e.g. when an enterprise applies
        for one of its loan products); same validation as :meth:`request`, audited as the caller's."""
        if not institution_id:
            raise ValidationFailed("name the institution the consent is for")
        return self._create(institution_id, requested_by, data, "consent.request_for",
                            "platform_request")

    def _create(self, institution_id: str, principal: Principal, data: ConsentRequestData,
                action: str, reason: str) -> Consent:
        if data.data_from > data.data_to:
            raise ValidationFailed("data_from must not be after data_to")
        if not data.categories:
            raise ValidationFailed("name at least one data category")
        now = self.clock.now()
        consent = Consent(
            id=new_id("cst"), credit_code=data.credit_code, institution_id=institution_id,
            requested_by=principal.subject, approved_by=None, purpose_code=data.purpose.value,
            purpose_text=data.purpose_text, requested_categories=sorted(data.categories),
            categories=sorted(data.categories), access_mode=data.access_mode.value,
            frequency_unit=data.frequency.unit.value, frequency_value=data.frequency.value,
            data_from=data.data_from, data_to=data.data_to, valid_from=now,
            valid_until=now + timedelta(days=data.validity_days),
            data_life_unit=data.data_life.unit.value, data_life_value=data.data_life.value,
            status=d.ConsentStatus.requested.value, status_changed_at=now,
            linked_application_id=data.linked_application_id, use_count=0, created_at=now)
        self.repo.add(consent)
        self.session.flush()
        self._event(consent, "request", None, d.ConsentStatus.requested, reason, principal)
        self._audit(principal, action, consent, "ok")
        return consent

    def approve(self, principal: Principal, consent_id: str, *,
                categories: frozenset[d.DataCategory] = frozenset(), data_from: date | None = None,
                data_to: date | None = None) -> Consent:
        """The enterprise approves, optionally narrowing categories and the data window; signs it."""
        consent = self._own_enterprise_consent(principal, consent_id)
        requested = frozenset(d.DataCategory(c) for c in consent.requested_categories)
        try:
            kept = d.narrow(categories, requested)
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from exc
        new_from = data_from or consent.data_from
        new_to = data_to or consent.data_to
        if new_from < consent.data_from or new_to > consent.data_to or new_from > new_to:
            raise ValidationFailed("an approval may only narrow the requested data range")
        self._transition(principal, consent, d.ConsentAction.approve, "enterprise_approved")
        consent.categories = sorted(kept)
        consent.data_from, consent.data_to = new_from, new_to
        consent.approved_by = principal.subject
        consent.valid_from = self.clock.now()
        signed = artefact(consent)
        consent.signed_artefact = signed
        consent.signature = sign_detached(signed, self.keys.signing_key())
        self.session.flush()
        return consent

    def change(self, principal: Principal, consent_id: str, action: d.ConsentAction,
               reason: str) -> Consent:
        """The enterprise rejects, pauses, resumes or revokes; effective on the very next query."""
        if action in (d.ConsentAction.approve, d.ConsentAction.expire):
            raise ValidationFailed(f"{action.value} is not a change the enterprise makes this way")
        consent = self._own_enterprise_consent(principal, consent_id)
        self._transition(principal, consent, action, reason)
        return consent

    def events(self, consent: Consent) -> Sequence[ConsentEvent]:
        """A consent's status history."""
        return self.repo.events(consent.id)

    def verify_signature(self, signed: dict[str, Any], signature: str) -> bool:
        """Whether ``signature`` is the platform's over exactly ``signed``."""
        return verify_detached(signed, signature, self.keys.key_set())

    # -- use --------------------------------------------------------------------------------
    def authorize_use(self, principal: Principal, consent_id: str, credit_code: str, *,
                      categories: frozenset[d.DataCategory] = frozenset(), action: str,
                      details: dict[str, Any] | None = None) -> d.AccessGrant:
        """Check that the caller's consent covers this use right now, record the use, audit it.

        Raises ConsentNotFound (unknown, or another institution's), ConsentRefused (not live, wrong
        enterprise, category not granted…) or ConsentFrequencyExhausted; each refusal is audited too.
        """
        consent = self.repo.get(consent_id, for_update=True)
        if consent is None or principal.organization_type != "institution" \
                or consent.institution_id != principal.organization_id:
            self._audit_subject(principal, action, credit_code, "refused", None,
                                {"consent_id": consent_id, "reason": "consent_not_found",
                                 **(details or {})})
            CONSENT_USES.labels("consent_not_found").inc()
            raise ConsentNotFound("no such consent for your institution")
        now = self.clock.now()
        self._expire_if_due(consent)
        terms = terms_of(consent)
        uses = self.repo.uses_since(consent.id, d.period_start(now, terms.frequency.unit))
        decision = d.evaluate_access(terms, d.AccessRequest(principal.organization_id or "",
                                                            credit_code, categories), now, uses)
        if isinstance(decision, d.AccessRefusal):
            CONSENT_USES.labels(decision.code).inc()
            self._audit_subject(principal, action, credit_code, "refused", consent,
                                {"consent_id": consent.id, "reason": decision.code,
                                 **(details or {})})
            if decision.retry_after_seconds is not None:
                raise ConsentFrequencyExhausted(decision.message, reason=decision.code,
                                                retry_after=decision.retry_after_seconds)
            raise ConsentRefused(decision.message, reason=decision.code)
        consent.use_count += 1
        consent.last_used_at = now
        self.repo.add_use(ConsentUse(consent_id=consent.id, at=now,
                                     categories=sorted(decision.categories),
                                     endpoint=action[:60]))
        after_commit(self.session, CONSENT_USES.labels("granted").inc)
        if decision.consumes:
            self._set_status(consent, d.ConsentStatus.expired, "expire", "view_once_used",
                             principal.subject)
        self._audit_subject(principal, action, credit_code, "ok", consent,
                            {"consent_id": consent.id, "categories": sorted(decision.categories),
                             **(details or {})})
        self.session.flush()
        return decision

    # -- internals --------------------------------------------------------------------------
    def _own_enterprise_consent(self, principal: Principal, consent_id: str) -> Consent:
        if principal.organization_type != "enterprise":
            raise Forbidden("only the enterprise that gives consent can change it")
        consent = self.repo.get(consent_id, for_update=True)
        if consent is None or consent.credit_code != principal.organization_id:
            raise ConsentNotFound("no such consent")
        self._expire_if_due(consent)
        return consent

    def _transition(self, principal: Principal, consent: Consent, action: d.ConsentAction,
                    reason: str) -> None:
        try:
            target = d.next_status(d.ConsentStatus(consent.status), action)
        except d.IllegalTransition as exc:
            raise ConsentTransitionRefused(str(exc), consent_status=consent.status) from exc
        self._set_status(consent, target, action.value, reason, principal.subject)
        self._audit(principal, f"consent.{action.value}", consent, "ok", {"reason": reason})

    def _set_status(self, consent: Consent, target: d.ConsentStatus, action: str, reason: str,
                    actor: str) -> None:
        previous = consent.status
        consent.status = target.value
        consent.status_changed_at = self.clock.now()
        self.repo.add_event(ConsentEvent(consent_id=consent.id, at=consent.status_changed_at,
                                         action=action, from_status=previous,
                                         to_status=target.value, reason_code=reason[:60],
                                         actor=actor))
        self.session.flush()

    def _expire_if_due(self, consent: Consent) -> None:
        if d.effective_status(terms_of(consent), self.clock.now()) is d.ConsentStatus.expired \
                and consent.status != d.ConsentStatus.expired.value:
            self._set_status(consent, d.ConsentStatus.expired, "expire", "validity_ended", "system")

    def _event(self, consent: Consent, action: str, previous: d.ConsentStatus | None,
               target: d.ConsentStatus, reason: str, principal: Principal) -> None:
        self.repo.add_event(ConsentEvent(consent_id=consent.id, at=self.clock.now(), action=action,
                                         from_status=previous.value if previous else None,
                                         to_status=target.value, reason_code=reason,
                                         actor=principal.subject))

    def _audit(self, principal: Principal, action: str, consent: Consent, outcome: str,
               details: dict[str, Any] | None = None) -> None:
        self.audit.record(self.session, actor=principal.subject, actor_org=principal.organization_id,
                          action=action, subject_type="consent", subject_id=consent.id,
                          outcome=outcome, purpose=consent.purpose_code,
                          details={"credit_code": consent.credit_code,
                                   "institution_id": consent.institution_id, **(details or {})},
                          at=self.clock.now())

    def _audit_subject(self, principal: Principal, action: str, credit_code: str, outcome: str,
                       consent: Consent | None, details: dict[str, Any]) -> None:
        self.audit.record(self.session, actor=principal.subject, actor_org=principal.organization_id,
                          action=action, subject_type="enterprise", subject_id=credit_code,
                          outcome=outcome, purpose=consent.purpose_code if consent else None,
                          details=details, at=self.clock.now())
