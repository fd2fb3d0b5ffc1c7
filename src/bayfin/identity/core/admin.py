"""Identity admin API: organizations, users, apps, roles, signing keys, and self-service MFA.

Every administrative route acts inside the caller's organization subtree (``service.scope_of``):
another organization's users, apps and branches do not exist for it (404). Signing keys are the
platform's: only a platform administrator sees or rotates them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from bayfin.api.deps import AUTH_ERRORS, Session, require
from bayfin.api.pagination import Paging
from bayfin.api.problems import problem_schema
from bayfin.identity.core import repository as repo
from bayfin.identity.core.domain import FACTOR_ENROLMENT_MAX_AUTH_AGE
from bayfin.identity.core.invitations import Invitations
from bayfin.identity.core.schemas import (
    AppIn,
    AppOut,
    AppPatch,
    FactorCodeIn,
    FactorEnrolmentOut,
    InvitationOut,
    KeyOut,
    OrgIn,
    OrgOut,
    PasswordIn,
    RoleGrantIn,
    RoleIn,
    RoleOut,
    SecretRotationIn,
    SecretRotationOut,
    UserIn,
    UserOut,
    UserPatch,
)
from bayfin.identity.core.scoping import is_platform_admin
from bayfin.identity.core.service import Actor, after_commit, scope_of
from bayfin.identity.core.web import identity_of
from bayfin.kernel.errors import Forbidden, NotFound
from bayfin.kernel.pagination import Page
from bayfin.kernel.security import Principal

router = APIRouter(prefix="/v1/identity", tags=["identity: administration"])
#: Enrolling a second factor: its own scope and a fresh sign-in, so neither a long-lived session
#: nor an app granted only profile access can add a factor to the user's account.
FactorOwner = Annotated[Principal, Depends(require(
    scopes=("identity:factors",), max_auth_age=FACTOR_ENROLMENT_MAX_AUTH_AGE))]


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


@router.post("/organizations", status_code=201, response_model=OrgOut, responses=_R)
def create_org(body: OrgIn, request: Request, session: Session, who: Admin) -> OrgOut:
    """Register an organization (a branch names its head office as ``parent``)."""
    org = identity_of(request).service.create_org(session, who, code=body.code,
                                                  name=body.name, org_type=body.org_type,
                                                  parent=body.parent)
    return OrgOut.model_validate(org)


@router.get("/organizations", response_model=Page[OrgOut], responses=_R)
def list_orgs(session: Session, who: Reader, pager: Paging, org_type: str | None = None) -> Page[OrgOut]:
    """Organizations inside the caller's scope, optionally of one type, by code."""
    rows = repo.list_orgs(session, who.scope, org_type, pager.page_request)
    return pager.page(rows, lambda o: (o.code,), OrgOut.model_validate)


@router.post("/users", status_code=201, response_model=UserOut, responses=_R)
def create_user(body: UserIn, request: Request, session: Session, who: Admin) -> UserOut:
    """Create a user."""
    user = identity_of(request).service.create_user(
        session, who, username=body.username, display_name=body.display_name,
        organization=body.organization, email=body.email, password=body.password,
        locale=body.locale)
    return UserOut.model_validate(user)


@router.get("/users", response_model=Page[UserOut], responses=_R)
def list_users(request: Request, session: Session, who: Reader, pager: Paging,
               organization: str | None = None) -> Page[UserOut]:
    """Users inside the caller's scope, optionally of one organization (id or code), by user name."""
    org_id = (identity_of(request).service.get_org(session, organization, who.scope).id
              if organization else None)
    rows = repo.list_users(session, who.scope, org_id, pager.page_request)
    return pager.page(rows, lambda u: (u.username,), UserOut.model_validate)


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


@router.get("/users/{ref}/roles", response_model=Page[RoleOut], responses=_R)
def user_roles(ref: str, request: Request, session: Session, who: Reader,
               pager: Paging) -> Page[RoleOut]:
    """Every role a user holds."""
    user = identity_of(request).service.get_user(session, ref, who.scope)
    roles = [RoleOut.model_validate(r) for r in repo.roles_of_user(session, user.id, None)]
    return pager.page_of(roles, lambda r: (r.id,))


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


@router.get("/apps", response_model=Page[AppOut], responses=_R)
def list_apps(session: Session, who: Reader, pager: Paging) -> Page[AppOut]:
    """Applications owned inside the caller's scope, by client id."""
    rows = repo.list_apps(session, who.scope, pager.page_request)
    return pager.page(rows, lambda a: (a.client_id,), AppOut.model_validate)


@router.get("/apps/{client_id}", response_model=AppOut, responses=_R)
def get_app(client_id: str, request: Request, session: Session, who: Reader) -> AppOut:
    """One registered application (owned inside the caller's scope)."""
    return AppOut.model_validate(identity_of(request).service.get_app(session, client_id,
                                                                      who.scope))


@router.patch("/apps/{client_id}", response_model=AppOut, responses=_R)
def patch_app(client_id: str, body: AppPatch, request: Request, session: Session,
              who: Admin) -> AppOut:
    """Change an app's name, redirect URIs or scopes; ``active: false`` disables it and refuses
    the tokens it already obtained at once, in every API process."""
    ident = identity_of(request)
    app = ident.service.get_app(session, client_id, who.scope)
    ident.apps.update(session, who, app, name=body.name, redirect_uris=body.redirect_uris,
                      post_logout_redirect_uris=body.post_logout_redirect_uris, scopes=body.scopes)
    if body.active is not None:
        ident.apps.set_active(session, who, app, body.active)
    return AppOut.model_validate(app)


@router.post("/apps/{client_id}/secret", status_code=201, response_model=SecretRotationOut,
             responses=_R)
def rotate_app_secret(client_id: str, body: SecretRotationIn, request: Request, session: Session,
                      who: Admin) -> SecretRotationOut:
    """Issue a new client secret (shown only now); the old one works for ``grace_seconds`` more."""
    ident = identity_of(request)
    app = ident.service.get_app(session, client_id, who.scope)
    secret, until = ident.apps.rotate_secret(session, who, app,
                                             timedelta(seconds=body.grace_seconds))
    return SecretRotationOut(client_id=app.client_id, client_secret=secret,
                             previous_secret_valid_until=until)


@router.delete("/apps/{client_id}", status_code=204, responses=_R)
def delete_app(client_id: str, request: Request, session: Session, who: Admin) -> None:
    """Delete an app with its roles and consents; the tokens it obtained stop working at once."""
    ident = identity_of(request)
    ident.apps.delete(session, who, ident.service.get_app(session, client_id, who.scope))


@router.post("/apps/{client_id}/roles", status_code=201, response_model=RoleOut, responses=_R)
def create_role(client_id: str, body: RoleIn, request: Request, session: Session,
                who: Admin) -> RoleOut:
    """Define a role of an app (``-`` as client id: a platform-wide role)."""
    role = identity_of(request).service.create_role(
        session, who, app=None if client_id == "-" else client_id, name=body.name,
        permissions=body.permissions)
    return RoleOut.model_validate(role)


@router.get("/apps/{client_id}/roles", response_model=Page[RoleOut], responses=_R)
def list_roles(client_id: str, request: Request, session: Session, who: Reader,
               pager: Paging) -> Page[RoleOut]:
    """Roles of an app plus the platform-wide ones."""
    app_id = (None if client_id == "-"
              else identity_of(request).service.get_app(session, client_id, who.scope).id)
    roles = [RoleOut.model_validate(r) for r in repo.list_roles(session, app_id)]
    return pager.page_of(roles, lambda r: (r.id,))


@router.get("/keys", response_model=Page[KeyOut], responses=_R)
def list_keys(request: Request, session: Session, who: PlatformAdmin,
              pager: Paging) -> Page[KeyOut]:
    """Signing keys and their state, oldest first."""
    keys = [KeyOut.model_validate(k) for k in identity_of(request).keys.describe(session)]
    return pager.page_of(keys, lambda k: (k.created_at, k.kid))


@router.post("/keys/rotate", status_code=201, response_model=KeyOut, responses=_R)
def rotate_keys(request: Request, session: Session, who: PlatformAdmin,
                immediately: bool = False) -> KeyOut:
    """Publish the next signing key in the JWKS; it signs once relying parties' cached key sets
    have expired (``immediately``: at once, after a key leak). The old key keeps verifying until
    its tokens expire. Every API process learns of it within seconds."""
    ident = identity_of(request)
    kid = ident.keys.rotate(session, immediately=immediately)
    ident.service.audit.record(session, actor=who.subject, actor_org=who.organization_id,
                               action="identity.keys.rotate", subject_type="signing_key",
                               subject_id=kid, details={"immediately": immediately})
    after_commit(session, ident.keys.changed)
    return next(KeyOut.model_validate(k) for k in ident.keys.describe(session) if k["kid"] == kid)


@router.post("/me/factors/{kind}", status_code=201, responses=_R)
def enrol_factor(kind: str, request: Request, session: Session,
                 who: FactorOwner) -> FactorEnrolmentOut:
    """Start enrolling a second factor for the signed-in user (TOTP: secret and otpauth URI).
    Needs the ``identity:factors`` scope and a sign-in of the last five minutes."""
    ident = identity_of(request)
    user = repo.user_by_id(session, who.subject)
    if user is None:
        raise NotFound("only users enrol factors")
    return FactorEnrolmentOut.model_validate(ident.authenticator.enrol(session, user, kind))


@router.post("/me/factors/{kind}/confirm", status_code=204, responses=_R)
def confirm_factor(kind: str, body: FactorCodeIn, request: Request, session: Session,
                   who: FactorOwner) -> None:
    """Confirm an enrolment with a first valid code; later sign-ins then ask for it (same scope and
    freshness as enrolling)."""
    ident = identity_of(request)
    user = repo.user_by_id(session, who.subject)
    if user is None:
        raise NotFound("only users enrol factors")
    ident.authenticator.confirm(session, user, kind, body.code)
