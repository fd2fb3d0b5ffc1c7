"""Identity admin API: organizations, users, apps, roles, signing keys, and self-service MFA.

Every administrative route acts inside the caller's organization subtree (``scoping.scope_of``):
another organization's users, apps and branches do not exist for it (404). Signing keys are the
platform's: only a platform administrator sees or rotates them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from bayfin.api.deps import AUTH_ERRORS, Session, require
from bayfin.api.problems import problem_schema
from bayfin.identity import repository as repo
from bayfin.identity.invitations import Invitations
from bayfin.identity.schemas import (
    AppIn,
    AppOut,
    FactorCodeIn,
    InvitationOut,
    KeyOut,
    OrgIn,
    OrgOut,
    PasswordIn,
    RoleGrantIn,
    RoleIn,
    RoleOut,
    UserIn,
    UserOut,
    UserPatch,
)
from bayfin.identity.scoping import is_platform_admin, scope_of
from bayfin.identity.service import Actor, after_commit
from bayfin.identity.web import identity_of
from bayfin.kernel.errors import Forbidden, NotFound
from bayfin.kernel.security import Principal

router = APIRouter(prefix="/v1/identity", tags=["identity: administration"])
Me = Annotated[Principal, Depends(require())]


def _acting(session: Session, who: Principal) -> Actor:
    return Actor.of(who, scope_of(session, who))


def _admin(session: Session,
           who: Annotated[Principal, Depends(require(scopes=("identity:admin",)))]) -> Actor:
    return _acting(session, who)


def _reader(session: Session,
            who: Annotated[Principal, Depends(require(scopes=("identity:read",)))]) -> Actor:
    return _acting(session, who)


def _platform_admin(who: Annotated[Principal, Depends(require(scopes=("identity:admin",)))]
                    ) -> Principal:
    if not is_platform_admin(who):
        raise Forbidden("signing keys are managed by a platform administrator")
    return who


#: An administrator (scope ``identity:admin``) confined to their organization subtree.
Admin = Annotated[Actor, Depends(_admin)]
#: A reader (scope ``identity:read``) confined to their organization subtree.
Reader = Annotated[Actor, Depends(_reader)]
PlatformAdmin = Annotated[Principal, Depends(_platform_admin)]
_R: dict[int | str, dict[str, Any]] = {
    401: AUTH_ERRORS[401], 403: AUTH_ERRORS[403], 404: problem_schema("No such record"),
    409: problem_schema("Duplicate"), 422: problem_schema("Invalid input")}
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


@router.post("/organizations", status_code=201, response_model=OrgOut, responses=_R)
def create_org(body: OrgIn, request: Request, session: Session, who: Admin) -> OrgOut:
    """Register an organization (a branch names its head office as ``parent``)."""
    org = identity_of(request).service.create_org(session, who, code=body.code,
                                                  name=body.name, org_type=body.org_type,
                                                  parent=body.parent)
    return OrgOut.model_validate(org)


@router.get("/organizations", response_model=list[OrgOut], responses=_R)
def list_orgs(session: Session, who: Reader, org_type: str | None = None, offset: Offset = 0,
              limit: Limit = 100) -> list[OrgOut]:
    """Organizations, optionally of one type."""
    return [OrgOut.model_validate(o)
            for o in repo.list_orgs(session, who.scope, org_type, offset, limit)]


@router.post("/users", status_code=201, response_model=UserOut, responses=_R)
def create_user(body: UserIn, request: Request, session: Session, who: Admin) -> UserOut:
    """Create a user."""
    user = identity_of(request).service.create_user(
        session, who, username=body.username, display_name=body.display_name,
        organization=body.organization, email=body.email, password=body.password,
        locale=body.locale)
    return UserOut.model_validate(user)


@router.get("/users", response_model=list[UserOut], responses=_R)
def list_users(request: Request, session: Session, who: Reader, organization: str | None = None,
               offset: Offset = 0, limit: Limit = 100) -> list[UserOut]:
    """Users, optionally of one organization (id or code)."""
    org_id = (identity_of(request).service.get_org(session, organization, who.scope).id
              if organization else None)
    return [UserOut.model_validate(u)
            for u in repo.list_users(session, who.scope, org_id, offset, limit)]


@router.get("/users/{ref}", response_model=UserOut, responses=_R)
def get_user(ref: str, request: Request, session: Session, who: Reader) -> UserOut:
    """One user by id or user name."""
    return UserOut.model_validate(identity_of(request).service.get_user(session, ref, who.scope))


@router.patch("/users/{ref}", response_model=UserOut, responses=_R)
def patch_user(ref: str, body: UserPatch, request: Request, session: Session,
               who: Admin) -> UserOut:
    """Change a user; ``active: false`` disables them and ends their sessions and tokens at once."""
    svc = identity_of(request).service
    user = svc.get_user(session, ref, who.scope)
    svc.update_user(session, who, user, display_name=body.display_name, email=body.email,
                    organization=body.organization, locale=body.locale)
    if body.active is not None:
        svc.set_active(session, who, user, body.active)
    return UserOut.model_validate(user)


@router.put("/users/{ref}/password", status_code=204, responses=_R)
def set_password(ref: str, body: PasswordIn, request: Request, session: Session,
                 who: Admin) -> None:
    """Set a user's password (Argon2id; weak passwords refused)."""
    svc = identity_of(request).service
    svc.set_password(session, who, svc.get_user(session, ref, who.scope), body.password)


@router.post("/users/{ref}/invitation", status_code=201, response_model=InvitationOut,
             responses=_R)
def invite_user(ref: str, request: Request, session: Session, who: Admin) -> InvitationOut:
    """A one-time link with which the user chooses their password (older links stop working);
    hand it to the user. It expires after 72 hours and works once."""
    ident = identity_of(request)
    user = ident.service.get_user(session, ref, who.scope)
    url, expires = Invitations(ident.service, ident.issuer).invite(session, who, user)
    return InvitationOut(url=url, expires_at=expires)


@router.get("/users/{ref}/roles", response_model=list[RoleOut], responses=_R)
def user_roles(ref: str, request: Request, session: Session, who: Reader) -> list[RoleOut]:
    """Every role a user holds."""
    user = identity_of(request).service.get_user(session, ref, who.scope)
    return [RoleOut.model_validate(r) for r in repo.roles_of_user(session, user.id, None)]


@router.post("/users/{ref}/roles", status_code=201, response_model=RoleOut, responses=_R)
def grant_role(ref: str, body: RoleGrantIn, request: Request, session: Session,
               who: Admin) -> RoleOut:
    """Give a user a role."""
    svc = identity_of(request).service
    role = svc.assign_role(session, who, svc.get_user(session, ref, who.scope), app=body.app,
                           role=body.role)
    return RoleOut.model_validate(role)


@router.delete("/users/{ref}/roles", status_code=204, responses=_R)
def revoke_role(ref: str, body: RoleGrantIn, request: Request, session: Session,
                who: Admin) -> None:
    """Take a role away from a user."""
    svc = identity_of(request).service
    svc.unassign_role(session, who, svc.get_user(session, ref, who.scope), app=body.app,
                      role=body.role)


@router.post("/apps", status_code=201, response_model=AppOut, responses=_R)
def create_app(body: AppIn, request: Request, session: Session, who: Admin) -> AppOut:
    """Register an application; the response carries its client secret, shown only once."""
    app, secret = identity_of(request).service.create_app(
        session, who, client_id=body.client_id, name=body.name,
        client_type=body.client_type, redirect_uris=body.redirect_uris,
        post_logout_redirect_uris=body.post_logout_redirect_uris, grant_types=body.grant_types,
        scopes=body.scopes, service_roles=body.service_roles, organization=body.organization,
        first_party=body.first_party)
    out = AppOut.model_validate(app)
    out.client_secret = secret
    return out


@router.get("/apps", response_model=list[AppOut], responses=_R)
def list_apps(session: Session, who: Reader, offset: Offset = 0, limit: Limit = 100) -> list[AppOut]:
    """Registered applications."""
    return [AppOut.model_validate(a) for a in repo.list_apps(session, who.scope, offset, limit)]


@router.post("/apps/{client_id}/roles", status_code=201, response_model=RoleOut, responses=_R)
def create_role(client_id: str, body: RoleIn, request: Request, session: Session,
                who: Admin) -> RoleOut:
    """Define a role of an app (``-`` as client id: a platform-wide role)."""
    role = identity_of(request).service.create_role(
        session, who, app=None if client_id == "-" else client_id, name=body.name,
        permissions=body.permissions)
    return RoleOut.model_validate(role)


@router.get("/apps/{client_id}/roles", response_model=list[RoleOut], responses=_R)
def list_roles(client_id: str, request: Request, session: Session, who: Reader) -> list[RoleOut]:
    """Roles of an app plus the platform-wide ones."""
    app_id = (None if client_id == "-"
              else identity_of(request).service.get_app(session, client_id, who.scope).id)
    return [RoleOut.model_validate(r) for r in repo.list_roles(session, app_id)]


@router.get("/keys", response_model=list[KeyOut], responses=_R)
def list_keys(request: Request, session: Session, who: PlatformAdmin) -> list[KeyOut]:
    """Signing keys and their state."""
    return [KeyOut.model_validate(k) for k in identity_of(request).keys.describe(session)]


@router.post("/keys/rotate", status_code=201, response_model=KeyOut, responses=_R)
def rotate_keys(request: Request, session: Session, who: PlatformAdmin) -> KeyOut:
    """Start signing with a new key; the old one keeps verifying until its tokens expire."""
    ident = identity_of(request)
    kid = ident.keys.rotate(session)
    ident.service.audit.record(session, actor=who.subject, actor_org=who.organization_id,
                               action="identity.keys.rotate", subject_type="signing_key",
                               subject_id=kid)
    after_commit(session, ident.keys.reload)
    return next(KeyOut.model_validate(k) for k in ident.keys.describe(session) if k["kid"] == kid)


@router.post("/me/factors/{kind}", status_code=201, responses=_R)
def enrol_factor(kind: str, request: Request, session: Session, who: Me) -> dict[str, str]:
    """Start enrolling a second factor for the signed-in user (TOTP: secret and otpauth URI)."""
    ident = identity_of(request)
    user = repo.user_by_id(session, who.subject)
    if user is None:
        raise NotFound("only users enrol factors")
    return ident.authenticator.enrol(session, user, kind)


@router.post("/me/factors/{kind}/confirm", status_code=204, responses=_R)
def confirm_factor(kind: str, body: FactorCodeIn, request: Request, session: Session,
                   who: Me) -> None:
    """Confirm an enrolment with a first valid code; later sign-ins then ask for it."""
    ident = identity_of(request)
    user = repo.user_by_id(session, who.subject)
    if user is None:
        raise NotFound("only users enrol factors")
    ident.authenticator.confirm(session, user, kind, body.code)
