"""The non-medical-purchase rule over the social-security-card module's medical-insurance payments:
on demand over a period, and incrementally as the ingest worker's periodic job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bayfin.sscard import medical_payments_after, medical_payments_at, medical_payments_since
from bayfin.terminals import domain as d
from bayfin.terminals import repository as repo
from bayfin.terminals.alarms import raise_alarm
from bayfin.terminals.models import Alarm, ScanCursor

#: The cursor of the periodic scan over the card module's medical payments.
MEDICAL_CURSOR = "sscard.medical_payments"
#: How far back a site's medical payments are judged together when it books new ones.
MEDICAL_WINDOW = timedelta(hours=24)


def evaluate(session: Session, payments: Sequence[d.MedicalTxn], now: datetime) -> list[Alarm]:
    """Site alarms for patterns of non-medical purchases on medical-insurance cards."""
    raised = []
    for code, booked in d.group_by_site(payments).items():
        site = repo.site_by_code(session, code)
        finding = d.check_non_medical(booked) if site is not None else None
        if site is not None and finding is not None:
            raised.append(raise_alarm(session, None, site.id, finding, max(p.at for p in booked), now,
                                      repo.active_site_alarm(session, site.id, finding.rule)))
    return raised


def scan_since(session: Session, since: datetime, now: datetime) -> list[Alarm]:
    """Run the rule over every medical payment booked since a time (on demand)."""
    booked = [d.MedicalTxn(p.txn_id, p.card_id, p.provider, p.total_minor, p.created_at)
              for p in medical_payments_since(session, since)]
    return evaluate(session, booked, now)


def scan_increment(session: Session, now: datetime, *, window: timedelta = MEDICAL_WINDOW,
                   limit: int = 5_000) -> list[Alarm]:
    """The ingest worker's periodic check: read the medical payments booked since the last scan (by
    increasing id), and judge each site that has new ones over its recent window — the last
    ``window`` before its newest payment, or less if an operator cleared its alarm since (what was
    judged then is not judged again). The cursor moves in the same transaction as the alarms, and a
    site keeps one active alarm, so repeated or interrupted scans never duplicate one."""
    cursor = repo.scan_cursor(session, MEDICAL_CURSOR)
    if cursor is None:
        cursor = ScanCursor(name=MEDICAL_CURSOR, position=0, updated_at=now)
        repo.add(session, cursor)
    fresh = medical_payments_after(session, cursor.position, limit)
    if not fresh:
        return []
    cursor.position, cursor.updated_at = fresh[-1].id, now
    newest: dict[str, datetime] = {}
    for payment in fresh:
        seen = newest.get(payment.provider)
        newest[payment.provider] = payment.created_at if seen is None else max(seen, payment.created_at)
    sites = repo.sites_by_codes(session, list(newest))
    if not sites:
        return []
    site_ids = [site.id for site in sites.values()]
    active = repo.active_site_alarms(session, site_ids, d.Rule.non_medical)
    cleared = repo.last_site_clearances(session, site_ids, d.Rule.non_medical)

    def judged(payment_at: datetime, code: str) -> bool:
        after = cleared.get(sites[code].id)
        return payment_at >= newest[code] - window and (after is None or payment_at > after)

    booked = d.group_by_site(
        d.MedicalTxn(p.txn_id, p.card_id, p.provider, p.total_minor, p.created_at)
        for p in medical_payments_at(session, list(sites), min(newest[c] for c in sites) - window)
        if judged(p.created_at, p.provider))
    raised = []
    for code, payments in sorted(booked.items()):
        finding = d.check_non_medical(payments)
        if finding is not None:
            site_id = sites[code].id
            raised.append(raise_alarm(session, None, site_id, finding, max(p.at for p in payments), now,
                                      active.get(site_id)))
    return raised
