"""Credit reports and post-loan monitoring for financial institutions (consent-gated, rate-limited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from bayfin.api.deps import AUTH_ERRORS, TENANT_OWNED, PlatformDep, Session, UoW, rate_limited, require
from bayfin.api.pagination import Paging
from bayfin.api.problems import Responses, problem_schema
from bayfin.consent import ConsentService
from bayfin.creditreport.models import MonitoringNotification, MonitoringSubscription
from bayfin.creditreport.monitoring import Monitoring, deliver
from bayfin.creditreport.render import render_report
from bayfin.creditreport.schemas import (
    BatchIn,
    BatchOut,
    CreditReportOut,
    NotificationOut,
    ScanOut,
    SubscribeIn,
    SubscriptionOut,
)
from bayfin.creditreport.service import CreditReports
from bayfin.kernel.outbound import OutboundPolicy
from bayfin.kernel.pagination import Page
from bayfin.kernel.security import Principal

# every record here belongs to an organization: no caller without one gets past this
router = APIRouter(tags=["credit reports"], dependencies=TENANT_OWNED)

Institution = Annotated[Principal, Depends(require(scopes=("credit:read",),
                                                   org_types=("institution",)))]
Limited = Depends(rate_limited("credit_reports"))
# the role name alone is not enough: only the platform operator's organization holds it for real
Operator = Annotated[Principal, Depends(require(roles=("operator",), org_types=("operator",)))]

REPORT_ERRORS: Responses = {
    **AUTH_ERRORS,
    403: problem_schema("Not covered by a live consent (reason code says why)"),
    404: problem_schema("No such consent for your institution, or no data on the enterprise"),
    429: problem_schema("Rate limit, daily quota or the consent's frequency is spent"),
}


def _reports(session: Session, platform: PlatformDep) -> CreditReports:
    consents = ConsentService(session, platform.audit, platform.clock, platform.tokens.keys)
    return CreditReports(session, consents, platform.clock)


def _monitoring(session: Session, platform: PlatformDep) -> Monitoring:
    consents = ConsentService(session, platform.audit, platform.clock, platform.tokens.keys)
    return Monitoring(session, consents, platform.audit, platform.clock,
                      OutboundPolicy.from_settings(platform.settings))


Reports = Annotated[CreditReports, Depends(_reports)]
Monitor = Annotated[Monitoring, Depends(_monitoring)]


@router.get("/v1/credit-reports/{credit_code}", response_model=CreditReportOut,
            responses={**REPORT_ERRORS, 200: {"content": {"text/html": {}}}},
            dependencies=[Limited])
def get_credit_report(credit_code: str, principal: Institution, reports: Reports,
                      consent_id: Annotated[str, Query(min_length=1, max_length=60)],
                      format: Annotated[str, Query(pattern="^(json|html)$")] = "json") -> Any:
    """The enterprise's credit report under your consent: consented categories and dates only, each
    value with its source department and as-of date, plus derived indicators. ``format=html`` gives
    a printable page."""
    report = reports.report(principal, credit_code, consent_id)
    if format == "html":
        return HTMLResponse(render_report(report))
    return report


@router.post("/v1/credit-reports/batch", response_model=BatchOut, responses=REPORT_ERRORS,
             dependencies=[Limited])
def batch_credit_reports(body: BatchIn, principal: Institution, reports: Reports) -> BatchOut:
    """Up to 1,000 reports in one call, each checked against its own consent; refusals are listed per
    enterprise and never fail the batch."""
    return BatchOut.model_validate(reports.batch(principal, [(i.credit_code, i.consent_id)
                                                             for i in body.items]))


def _sub_out(sub: MonitoringSubscription, secret: str | None = None) -> SubscriptionOut:
    return SubscriptionOut(id=sub.id, consent_id=sub.consent_id, credit_code=sub.credit_code,
                           webhook_url=sub.webhook_url, active=sub.active,
                           ended_reason=sub.ended_reason, created_at=sub.created_at,
                           last_checked_at=sub.last_checked_at, webhook_secret=secret)


def _note_out(note: MonitoringNotification) -> NotificationOut:
    return NotificationOut(id=note.id, subscription_id=note.subscription_id,
                           consent_id=note.consent_id, credit_code=note.credit_code, at=note.at,
                           changes=note.changes, delivered_at=note.delivered_at)


@router.post("/v1/monitoring/subscriptions", status_code=201, response_model=SubscriptionOut,
             responses={**REPORT_ERRORS, 409: problem_schema("The consent is not live and periodic"),
                        422: problem_schema("Bad webhook URL")})
def subscribe(body: SubscribeIn, principal: Institution, monitor: Monitor) -> SubscriptionOut:
    """Be told when the firm's tax grade, arrears, litigation or registration status changes, for as
    long as the periodic consent is live (pull feed, and webhook if given)."""
    sub, secret = monitor.subscribe(principal, body.consent_id, body.webhook_url)
    return _sub_out(sub, secret)


@router.get("/v1/monitoring/subscriptions", response_model=Page[SubscriptionOut],
            responses=AUTH_ERRORS)
def list_subscriptions(principal: Institution, monitor: Monitor, pager: Paging) -> Page[SubscriptionOut]:
    """Your institution's subscriptions, oldest first."""
    return pager.page(monitor.subscriptions(principal, pager.page_request),
                      lambda s: (s.created_at, s.id), _sub_out)


@router.delete("/v1/monitoring/subscriptions/{subscription_id}", response_model=SubscriptionOut,
               responses={**AUTH_ERRORS, 404: problem_schema("No such subscription")})
def unsubscribe(subscription_id: str, principal: Institution, monitor: Monitor) -> SubscriptionOut:
    """Stop watching."""
    return _sub_out(monitor.unsubscribe(principal, subscription_id))


@router.get("/v1/monitoring/notifications", response_model=Page[NotificationOut],
            responses=AUTH_ERRORS)
def notification_feed(principal: Institution, monitor: Monitor, pager: Paging) -> Page[NotificationOut]:
    """Your notifications, oldest first. A feed: ``next`` is always where to poll from (after the
    last notification you were given), also once you have caught up."""
    after = pager.page_request.after
    rows = monitor.feed(principal, int(str(after[0])) if after else 0, pager.page_request.fetch)
    return pager.feed(rows, lambda n: (n.id,), _note_out)


@router.post("/v1/monitoring/scan", response_model=ScanOut, responses=AUTH_ERRORS)
def scan(principal: Operator, monitor: Monitor, uow: UoW, platform: PlatformDep) -> dict[str, Any]:
    """Compare every watched firm with its last snapshot now (operators; also ``bayfin monitoring
    scan``); webhooks are pushed after the results commit."""
    summary = monitor.scan()
    ids = list(summary["notifications"])

    def push() -> None:
        deliver(platform.session_factory, ids, OutboundPolicy.from_settings(platform.settings),
                clock=platform.clock)

    uow.after_commit(push)
    return summary
