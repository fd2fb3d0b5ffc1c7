"""Every consent query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bayfin.consent.models import Consent, ConsentEvent, ConsentUse
from bayfin.kernel.pagination import PageRequest, keyset


class ConsentRepository:
    """Loads and stores consents, their events and uses."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, consent_id: str, *, for_update: bool = False) -> Consent | None:
        """One consent by id (row-locked on PostgreSQL when ``for_update``)."""
        stmt = select(Consent).where(Consent.id == consent_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def list(self, *, institution_id: str | None = None, credit_code: str | None = None,
             status: str | None = None, limit: int = 100,
             page: PageRequest | None = None) -> Sequence[Consent]:
        """Consents of one institution or one enterprise, newest first (a keyset page when asked)."""
        stmt = select(Consent)
        if institution_id is not None:
            stmt = stmt.where(Consent.institution_id == institution_id)
        if credit_code is not None:
            stmt = stmt.where(Consent.credit_code == credit_code)
        if status is not None:
            stmt = stmt.where(Consent.status == status)
        if page is not None:
            return self.session.scalars(keyset(stmt, [Consent.created_at, Consent.id], page,
                                               descending=True)).all()
        stmt = stmt.order_by(Consent.created_at.desc(), Consent.id.desc()).limit(limit)
        return self.session.scalars(stmt).all()

    def live_for(self, institution_id: str, credit_code: str) -> Sequence[Consent]:
        """An institution's consents on one enterprise that may still admit a use."""
        return self.session.scalars(
            select(Consent).where(Consent.institution_id == institution_id,
                                  Consent.credit_code == credit_code,
                                  Consent.status == "active")
            .order_by(Consent.valid_until.desc())).all()

    def add(self, consent: Consent) -> None:
        """Stage a new consent."""
        self.session.add(consent)

    def add_event(self, event: ConsentEvent) -> None:
        """Stage a status change."""
        self.session.add(event)

    def add_use(self, use: ConsentUse) -> None:
        """Stage a use."""
        self.session.add(use)

    def events(self, consent_id: str) -> Sequence[ConsentEvent]:
        """A consent's history, oldest first."""
        return self.session.scalars(select(ConsentEvent).where(ConsentEvent.consent_id == consent_id)
                                    .order_by(ConsentEvent.id)).all()

    def uses_since(self, consent_id: str, since: datetime) -> int:
        """How many uses a consent has had since ``since``."""
        return int(self.session.scalar(select(func.count(ConsentUse.id))
                                       .where(ConsentUse.consent_id == consent_id,
                                              ConsentUse.at >= since)) or 0)
