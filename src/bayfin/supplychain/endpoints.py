"""HTTP API of the supply-chain graph under ``/v1/graph``.

Operators (the platform) see the whole graph; every read about one enterprise is audited. A credit
officer of an institution sees one enterprise's chain, group, exposure, offers or picture only under
that enterprise's live consent (``consent_id``, checked by ``ConsentService.authorize_use`` for the
``tax`` category, which is where invoice flows come from). Whole-graph listings (circles, rings,
groups, signals) name many firms at once, so they are for operators only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from bayfin.api.deps import AUTH_ERRORS, PlatformDep, Session, require
from bayfin.api.pagination import Paging
from bayfin.api.problems import Responses, problem_schema
from bayfin.consent import ConsentService, DataCategory
from bayfin.kernel.errors import Forbidden
from bayfin.kernel.pagination import Page
from bayfin.kernel.security import Principal
from bayfin.supplychain import schemas as s
from bayfin.supplychain import service, views
from bayfin.supplychain.graph import SupplyGraph
from bayfin.supplychain.risk import receivable_offers
from bayfin.supplychain.svg import render_ego_svg

router = APIRouter(prefix="/v1/graph", tags=["supply-chain graph"])

# the role name alone is not enough: only the platform operator's organization holds it for real
Operator = Annotated[Principal, Depends(require(roles=("operator",), org_types=("operator",)))]
Reader = Annotated[Principal, Depends(require(roles=("operator", "credit_officer")))]
ConsentId = Annotated[str | None, Query(min_length=1, max_length=60, description="Institutions: the consent")]

ENTERPRISE_ERRORS: Responses = {
    **AUTH_ERRORS,
    403: problem_schema("No live consent of the enterprise covers this use"),
    404: problem_schema("No such consent, or the graph holds no relation of the enterprise"),
    422: problem_schema("Malformed parameters"),
    429: problem_schema("The consent's frequency is spent"),
}


def _graph(platform: PlatformDep, session: Session) -> SupplyGraph:
    return service.graph_cache(platform).refresh(session)


Graph = Annotated[SupplyGraph, Depends(_graph)]


def _authorize(
    principal: Principal,
    session: Session,
    platform: PlatformDep,
    graph: SupplyGraph,
    credit_code: str,
    consent_id: str | None,
    action: str,
) -> str:
    """The normalised code once the caller may see this enterprise's graph; audits the access."""
    code = credit_code.strip().upper()
    if principal.has_role("operator") and principal.organization_type == "operator":
        platform.audit.record(
            session,
            actor=principal.subject,
            actor_org=principal.organization_id,
            action=action,
            subject_type="enterprise",
            subject_id=code,
            purpose="platform operation",
        )
    else:
        if principal.organization_type != "institution" or consent_id is None:
            platform.audit.record(
                session,
                actor=principal.subject,
                actor_org=principal.organization_id,
                action=action,
                subject_type="enterprise",
                subject_id=code,
                outcome="refused",
                details={"reason": "consent_required"},
            )
            raise GraphConsentRequired("an institution reads an enterprise's graph under its consent_id")
        consents = ConsentService(session, platform.audit, platform.clock, platform.tokens.keys)
        consents.authorize_use(
            principal, consent_id, code, categories=frozenset({DataCategory.tax}), action=action
        )
    return service.require_party(graph, code)


class GraphConsentRequired(Forbidden):
    """A credit officer asked for an enterprise's graph without a consent."""

    persist_on_raise = True


@router.get("/enterprises/{credit_code}/chain", responses=ENTERPRISE_ERRORS)
def get_chain(
    credit_code: str,
    principal: Reader,
    session: Session,
    platform: PlatformDep,
    graph: Graph,
    consent_id: ConsentId = None,
    hops: Annotated[int, Query(ge=1, le=5)] = 2,
    min_share: Annotated[float, Query(ge=0, le=1)] = 0.0,
) -> s.ChainOut:
    """The enterprise as a core: its upstream and downstream tiers by share of flow, HHI and stability."""
    code = _authorize(principal, session, platform, graph, credit_code, consent_id, "graph.chain")
    return s.ChainOut.model_validate(views.chain_view(graph, code, hops, min_share,
                                                      service.graph_last_month(graph)))


@router.get("/enterprises/{credit_code}/group", responses=ENTERPRISE_ERRORS)
def get_group(
    credit_code: str,
    principal: Reader,
    session: Session,
    platform: PlatformDep,
    graph: Graph,
    consent_id: ConsentId = None,
) -> s.GroupOfOut:
    """The association group (firms under common control) the enterprise belongs to, if any."""
    code = _authorize(principal, session, platform, graph, credit_code, consent_id, "graph.group")
    return s.GroupOfOut.model_validate({"credit_code": code, "group": views.group_of(graph, code)})


@router.get("/enterprises/{credit_code}/exposure", responses=ENTERPRISE_ERRORS)
def get_exposure(
    credit_code: str,
    principal: Reader,
    session: Session,
    platform: PlatformDep,
    graph: Graph,
    defaulted: Annotated[list[str], Query(min_length=1, max_length=100)],
    consent_id: ConsentId = None,
) -> s.ExposureOut:
    """The enterprise's DebtRank exposure if the ``defaulted`` firms default, and what drives it."""
    code = _authorize(principal, session, platform, graph, credit_code, consent_id, "graph.exposure")
    known = [service.require_party(graph, d) for d in defaulted]
    return s.ExposureOut.model_validate(views.contagion_view(graph, known, code, 1))


@router.get("/enterprises/{credit_code}/offers", responses=ENTERPRISE_ERRORS)
def get_offers(
    credit_code: str,
    principal: Reader,
    session: Session,
    platform: PlatformDep,
    graph: Graph,
    pager: Paging,
    consent_id: ConsentId = None,
) -> Page[s.OfferOut]:
    """Receivable-finance offers (limit, rate) for the core enterprise's suppliers: a marketplace product."""
    code = _authorize(principal, session, platform, graph, credit_code, consent_id, "graph.offers")
    offers = [s.OfferOut.model_validate(o) for o in
              receivable_offers(graph, code, service.graph_last_month(graph))]
    return pager.page_of(offers, lambda o: (-o.limit_fen, o.supplier))


@router.get(
    "/enterprises/{credit_code}/ego.svg",
    responses={**ENTERPRISE_ERRORS, 200: {"content": {"image/svg+xml": {}}}},
    response_class=Response,
)
def get_ego_svg(
    credit_code: str,
    principal: Reader,
    session: Session,
    platform: PlatformDep,
    graph: Graph,
    consent_id: ConsentId = None,
    radius: Annotated[int, Query(ge=1, le=3)] = 1,
) -> Response:
    """A picture of the enterprise's ego network (SVG) for the console."""
    code = _authorize(principal, session, platform, graph, credit_code, consent_id, "graph.ego")
    return Response(render_ego_svg(views.ego_view(graph, code, radius)), media_type="image/svg+xml")


@router.get("/enterprises/{credit_code}/ego", responses=ENTERPRISE_ERRORS)
def get_ego(
    credit_code: str,
    principal: Reader,
    session: Session,
    platform: PlatformDep,
    graph: Graph,
    consent_id: ConsentId = None,
    radius: Annotated[int, Query(ge=1, le=3)] = 1,
) -> s.EgoOut:
    """The enterprise's ego network: nodes within ``radius`` links and the edges among them."""
    code = _authorize(principal, session, platform, graph, credit_code, consent_id, "graph.ego")
    return s.EgoOut.model_validate(views.ego_view(graph, code, radius))


@router.get("/circles", responses=AUTH_ERRORS)
def get_circles(_principal: Operator, graph: Graph, pager: Paging) -> Page[s.CircleOut]:
    """Every guarantee circle with the firms and amounts at stake."""
    circles = [s.CircleOut.model_validate(c) for c in views.circles_view(graph)]
    return pager.page_of(circles, lambda c: tuple(c.firms))


@router.get("/circular-trading", responses=AUTH_ERRORS)
def get_rings(
    _principal: Operator,
    graph: Graph,
    pager: Paging,
    tolerance: Annotated[float, Query(gt=0, lt=1)] = 0.05,
    min_months: Annotated[int, Query(ge=1, le=24)] = 3,
) -> Page[s.RingOut]:
    """Suspected fake invoicing: invoice cycles whose legs carry matching amounts."""
    rings = [s.RingOut.model_validate(r) for r in views.rings_view(graph, tolerance, min_months)]
    return pager.page_of(rings, lambda r: tuple(r.firms))


@router.get("/groups", responses=AUTH_ERRORS)
def get_groups(_principal: Operator, graph: Graph, pager: Paging) -> Page[s.AssociationGroupOut]:
    """Every association group of two or more enterprises."""
    groups = [s.AssociationGroupOut.model_validate(g) for g in views.groups_view(graph)]
    return pager.page_of(groups, lambda g: tuple(g.members))


@router.get("/signals", responses=AUTH_ERRORS)
def get_signals(
    _principal: Operator,
    session: Session,
    pager: Paging,
    subject: str | None = None,
) -> Page[s.SignalOut]:
    """Risk signals raised so far, newest first."""
    rows = service.stored_signals(session, subject, pager.page_request)
    return pager.page(rows, lambda r: (r["id"],), s.SignalOut.model_validate)


@router.post("/signals/run", responses=AUTH_ERRORS)
def run_signals(
    _principal: Operator,
    session: Session,
    graph: Graph,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> list[s.RaisedSignalOut]:
    """Raise the month's new signals (default: the latest month with invoices)."""
    raised = service.run_signals(session, graph, month or service.graph_last_month(graph))
    return [s.RaisedSignalOut(kind=r.kind, subject=r.subject, month=r.month, details=r.details)
            for r in raised]
