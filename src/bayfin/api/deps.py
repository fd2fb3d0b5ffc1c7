"""Request dependencies as ``Annotated`` aliases: the platform, a transaction, the caller, scope checks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from sqlalchemy.orm import Session as OrmSession

from bayfin.api.problems import Responses
from bayfin.kernel.db import UnitOfWork
from bayfin.kernel.errors import AppError, Forbidden, RateLimited, Unauthenticated
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal
from bayfin.kernel.tenancy import TenantScope


def get_platform(request: Request) -> Platform:
    """The platform built at start-up."""
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_uow(platform: PlatformDep) -> Iterator[UnitOfWork]:
    """One transaction per request: committed when the endpoint returns, before the response is sent;
    rolled back if it raises, unless the error asks to keep what was recorded (``persist_on_raise``)."""
    with platform.unit_of_work() as uow:
        try:
            yield uow
        except AppError as exc:
            if exc.persist_on_raise:
                uow.commit()
            raise
        uow.commit()


UoW = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def get_session(uow: UoW) -> OrmSession:
    """The request transaction's session."""
    return uow.session


Session = Annotated[OrmSession, Depends(get_session)]


def get_principal(request: Request, platform: PlatformDep) -> Principal:
    """The caller named by the bearer token; 401 problem+json when missing or invalid."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer access token is required")
    principal = platform.token_verifier.verify(token.strip())
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_tenant_scope(request: Request, principal: CurrentPrincipal, platform: PlatformDep,
                     uow: UoW) -> TenantScope:
    """The caller's tenant scope (its organization's subtree), the only way an endpoint learns whose
    records it may reach; 403 for a caller without an organization. A cross-tenant read (operator,
    regulator) is audited here, once, whatever the endpoint."""
    scope = TenantScope.of(principal, platform.tenant_subtree)
    if scope.cross_tenant is not None:
        platform.audit.record(uow.session, actor=principal.subject, actor_org=scope.organization,
                              action="tenancy.cross_tenant", subject_type="route",
                              subject_id=f"{request.method} {request.url.path}",
                              purpose=f"{scope.cross_tenant} oversight",
                              details={"reach": scope.cross_tenant})
    return scope


Tenant = Annotated[TenantScope, Depends(get_tenant_scope)]
#: Router-level guard of a module whose every record belongs to an organization
#: (``APIRouter(dependencies=TENANT_OWNED)``): a caller of no organization is refused before any route.
TENANT_OWNED = [Depends(get_tenant_scope)]


def require(*, scopes: tuple[str, ...] = (), roles: tuple[str, ...] = (),
            org_types: tuple[str, ...] = (),
            max_auth_age: int | None = None) -> Callable[[Principal], Principal]:
    """A dependency that admits the caller only with every scope, and any of the roles/org types;
    with ``max_auth_age`` the user must also have signed in at most that many seconds ago."""

    def _check(principal: CurrentPrincipal) -> Principal:
        missing = [s for s in scopes if not principal.has_scope(s)]
        if missing:
            raise Forbidden(f"the token lacks scope {', '.join(missing)}", required_scopes=missing)
        if max_auth_age is not None and (principal.auth_time is None
                                         or time.time() - principal.auth_time > max_auth_age):
            # RFC 9470: the client sends the user through authorization again with max_age.
            raise Unauthenticated("sign in again to do this (a recent sign-in is required)",
                                  error="insufficient_user_authentication", max_age=max_auth_age)
        if roles and not principal.has_role(*roles):
            raise Forbidden("your role may not do this", required_roles=list(roles))
        if org_types and principal.organization_type not in org_types:
            raise Forbidden("your organization type may not do this",
                            required_org_types=list(org_types))
        return principal

    return _check


def scoped(*groups: dict[str, str]) -> Callable[[Principal], Principal]:
    """A dependency admitting an organization type listed in ``groups`` ({org type: scope}) only with
    that type's scope: each party of a shared record reaches it with its own scope."""
    needed: dict[str, str] = {}
    for group in groups:
        needed.update(group)

    def _check(principal: CurrentPrincipal) -> Principal:
        kind = principal.organization_type or ""
        if kind not in needed:
            raise Forbidden("your organization type may not do this",
                            required_org_types=sorted(needed))
        if not principal.has_scope(needed[kind]):
            raise Forbidden(f"the token lacks scope {needed[kind]}", required_scopes=[needed[kind]])
        return principal

    return _check


def rate_limited(bucket: str) -> Callable[[Principal, Platform], Principal]:
    """A dependency that counts the call against the caller's organization limit for ``bucket``;
    429 problem+json with Retry-After when the rate or the daily quota is spent."""

    def _check(principal: CurrentPrincipal, platform: PlatformDep) -> Principal:
        organization = principal.organization_id or principal.subject
        verdict = platform.rate_limiter.hit(f"{bucket}:{organization}",
                                            platform.rate_limit_for(organization))
        if not verdict.allowed:
            what = "daily quota" if verdict.reason == "daily_quota" else "rate limit"
            raise RateLimited(f"your organization's {what} for {bucket} is spent",
                              reason=verdict.reason, retry_after=max(1, math.ceil(verdict.retry_after)))
        return principal

    _check.answers_429 = True  # type: ignore[attr-defined]
    return _check


def can_rate_limit(dependant: Dependant) -> bool:
    """Whether a route's dependency tree counts calls against a rate limit (and may answer 429)."""
    return any(getattr(d.call, "answers_429", False) or can_rate_limit(d) for d in dependant.dependencies)


AUTH_ERRORS: Responses = {
    401: {"description": "No valid bearer token (problem+json)"},
    403: {"description": "The token lacks the scope or role required (problem+json)"},
}
