"""Who may open which console page: the same requirements the modules' API endpoints declare."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bayfin import financing as fin
from bayfin.api.deps import require, scoped
from bayfin.kernel.errors import Forbidden
from bayfin.kernel.security import Principal


@dataclass(frozen=True)
class Need:
    """Every scope, and any of the roles / organization types (as ``bayfin.api.deps.require``)."""

    scopes: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    org_types: tuple[str, ...] = ()
    #: A module's own check when its API uses one (financing's per-organization-type scopes).
    custom: Callable[[Principal], Principal] | None = field(default=None, compare=False)

    def check(self, principal: Principal) -> Principal:
        """Admit the principal or raise Forbidden, with the API's own check."""
        if self.custom is not None:
            return self.custom(principal)
        return require(scopes=self.scopes, roles=self.roles, org_types=self.org_types)(principal)

    def allows(self, principal: Principal | None) -> bool:
        """Whether the principal passes (for navigation)."""
        if principal is None:
            return False
        try:
            self.check(principal)
        except Forbidden:
            return False
        return True


# The API's requirements, page by page (consent/, creditreport/, creditdata/, antifraud/, riskmonitor/,
# terminals/, financing/ endpoints).
ENTERPRISE = Need(scopes=("consent:manage",), org_types=("enterprise",))
CONSENT_REQUESTER = Need(scopes=("consent:request",), org_types=("institution",))
CREDIT_READER = Need(scopes=("credit:read",), org_types=("institution",))
OPERATOR = Need(roles=("operator",), org_types=("operator",))  # as the API: the role name alone is not enough
FRAUD_READER = Need(scopes=("fraud:read",), roles=("fraud_analyst", "operator"))
RISK_ANALYST = Need(org_types=("regulator",), roles=("risk_analyst", "risk_supervisor"))
TERMINALS_READER = Need(scopes=("terminals:read",), roles=("terminals_operator", "regulator"),
                        org_types=("operator", "regulator"))
FINANCING_APPLICANT = Need(custom=scoped(fin.APPLY))
FINANCING_PRODUCTS = Need(custom=scoped(fin.PRODUCTS))
FINANCING_REVIEWER = Need(custom=scoped(fin.REVIEW))
FINANCING_STATISTICS = Need(custom=scoped(fin.STATISTICS))
FINANCING_OPERATOR = Need(custom=scoped(fin.OPERATE))
FINANCING_FOLLOWER = Need(custom=scoped(fin.REVIEW, fin.APPLY, fin.OPERATE))

#: (text key, path, requirement) in menu order; the first one a user passes is their start page.
NAVIGATION: tuple[tuple[str, str, Need], ...] = (
    ("nav.dashboard", "/console/dashboard", OPERATOR),
    ("nav.hub", "/console/hub", OPERATOR),
    ("nav.audit", "/console/audit", OPERATOR),
    ("nav.firm", "/console/firm", ENTERPRISE),
    ("nav.firm_consents", "/console/firm/consents", ENTERPRISE),
    ("nav.firm_access", "/console/firm/access-log", ENTERPRISE),
    ("nav.financing_demands", "/console/financing/demands", FINANCING_APPLICANT),
    ("nav.financing_applications", "/console/financing/applications", FINANCING_APPLICANT),
    ("nav.credit_search", "/console/credit/search", CONSENT_REQUESTER),
    ("nav.credit_consents", "/console/credit/consents", CONSENT_REQUESTER),
    ("nav.financing_products", "/console/financing/products", FINANCING_PRODUCTS),
    ("nav.financing_leads", "/console/financing/leads", FINANCING_REVIEWER),
    ("nav.financing_queue", "/console/financing/queue", FINANCING_REVIEWER),
    ("nav.risk", "/console/risk", RISK_ANALYST),
    ("nav.fraud", "/console/fraud", FRAUD_READER),
    ("nav.terminals", "/console/terminals", TERMINALS_READER),
)


def navigation(principal: Principal | None) -> list[tuple[str, str]]:
    """The menu entries (text key, path) this principal may open."""
    return [(key, path) for key, path, need in NAVIGATION if need.allows(principal)]
