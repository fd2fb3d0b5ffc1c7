"""Every query of identity's core (SQLAlchemy 2 ``select()`` only): records, the organization tree,
sign-in bookkeeping, invitations, signing keys and the revocation feed. The services call these and
flush; the edge commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bayfin.identity.core.models import (
    App,
    Consent,
    Group,
    GroupMember,
    Invitation,
    LoginThrottle,
    MfaFactor,
    Organization,
    RefreshToken,
    Revocation,
    Role,
    RoleAssignment,
    SigningKey,
    SsoSession,
    User,
)
from bayfin.identity.core.scoping import AdminScope, require_scope
from bayfin.kernel.pagination import PageRequest, keyset

R = TypeVar("R")


def add(session: Session, row: R) -> R:
    """Stage a new record (written at the caller's next flush)."""
    session.add(row)
    return row


def remove(session: Session, row: object) -> None:
    """Stage the deletion of a record (written at the caller's next flush)."""
    session.delete(row)


def user_by_username(session: Session, username: str) -> User | None:
    """The user with this (normalised) user name."""
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def user_by_id(session: Session, user_id: str) -> User | None:
    """The user with this id."""
    return session.get(User, user_id)


def org_by_code_or_id(session: Session, ref: str) -> Organization | None:
    """An organization by id or by code."""
    return session.get(Organization, ref) or session.scalar(
        select(Organization).where(Organization.code == ref))


def org_by_id(session: Session, org_id: str) -> Organization | None:
    """The organization with this id."""
    return session.get(Organization, org_id)


def org_by_code(session: Session, code: str) -> Organization | None:
    """The organization with this code."""
    return session.scalar(select(Organization).where(Organization.code == code))


def org_ids_with_code(session: Session, code: str) -> list[str]:
    """The ids of the organization with this code (none or one)."""
    return list(session.scalars(select(Organization.id).where(Organization.code == code)))


def child_orgs(session: Session, parent_ids: list[str]) -> list[tuple[str, str]]:
    """The direct branches of these organizations, as (id, code)."""
    rows = session.execute(select(Organization.id, Organization.code)
                           .where(Organization.parent_id.in_(parent_ids))).all()
    return [(i, c) for i, c in rows]


def org_subtree(session: Session, root_id: str) -> frozenset[str]:
    """The organization and every descendant (branches of branches), by id."""
    found = {root_id}
    frontier = [root_id]
    while frontier:
        children = list(session.scalars(select(Organization.id).where(
            Organization.parent_id.in_(frontier))))
        frontier = [c for c in children if c not in found]
        found.update(frontier)
    return frozenset(found)


def app_by_client_id(session: Session, client_id: str) -> App | None:
    """The app registered under ``client_id``."""
    return session.scalar(select(App).where(App.client_id == client_id))


def list_orgs(session: Session, scope: AdminScope, org_type: str | None,
              page: PageRequest) -> Sequence[Organization]:
    """Organizations inside the scope, optionally of one type, by code: a page, one row beyond."""
    q = select(Organization).where(require_scope(scope).where(Organization.id))
    if org_type:
        q = q.where(Organization.org_type == org_type)
    return session.scalars(keyset(q, [Organization.code], page)).all()


def user_in_scope(session: Session, scope: AdminScope, ref: str) -> User | None:
    """A user by id or (normalised) user name, if owned inside the scope."""
    cond = require_scope(scope).where(User.organization_id)
    return session.scalar(select(User).where(User.id == ref, cond)) or session.scalar(
        select(User).where(User.username == ref.strip().lower(), cond))


def list_users(session: Session, scope: AdminScope, organization_id: str | None,
               page: PageRequest) -> Sequence[User]:
    """Users inside the scope, optionally of one organization, by user name: a page, one row
    beyond."""
    q = select(User).where(require_scope(scope).where(User.organization_id))
    if organization_id:
        q = q.where(User.organization_id == organization_id)
    return session.scalars(keyset(q, [User.username], page)).all()


def list_apps(session: Session, scope: AdminScope, page: PageRequest) -> Sequence[App]:
    """Registered apps owned inside the scope, by client id: a page, one row beyond."""
    q = select(App).where(require_scope(scope).where(App.organization_id))
    return session.scalars(keyset(q, [App.client_id], page)).all()


def delete_app_records(session: Session, app_id: str) -> dict[str, int]:
    """Remove what hangs off an app before the app itself: consents, its roles and who holds them."""
    role_ids = select(Role.id).where(Role.app_id == app_id).scalar_subquery()
    counts: dict[str, int] = {}
    for name, stmt in (  # assignments before the roles they point at
            ("role_assignments", delete(RoleAssignment).where(RoleAssignment.role_id.in_(role_ids))),
            ("consents", delete(Consent).where(Consent.app_id == app_id)),
            ("roles", delete(Role).where(Role.app_id == app_id))):
        counts[name] = int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
    return counts


def role_by_name(session: Session, app_id: str | None, name: str) -> Role | None:
    """A role of an app (or a platform-wide role when ``app_id`` is None)."""
    cond = Role.app_id.is_(None) if app_id is None else Role.app_id == app_id
    return session.scalar(select(Role).where(cond, Role.name == name))


def list_roles(session: Session, app_id: str | None) -> Sequence[Role]:
    """Roles of one app plus the platform-wide ones."""
    q = select(Role).order_by(Role.name)
    if app_id:
        q = q.where((Role.app_id == app_id) | Role.app_id.is_(None))
    return session.scalars(q).all()


def roles_of_user(session: Session, user_id: str, app_id: str | None) -> Sequence[Role]:
    """The roles a user holds in one app plus platform-wide ones (all roles when ``app_id`` is None)."""
    q = select(Role).join(RoleAssignment, RoleAssignment.role_id == Role.id).where(
        RoleAssignment.user_id == user_id)
    if app_id is not None:
        q = q.where((Role.app_id == app_id) | Role.app_id.is_(None))
    return session.scalars(q).all()


def assignment(session: Session, user_id: str, role_id: str) -> RoleAssignment | None:
    """A user's hold on one role."""
    return session.scalar(select(RoleAssignment).where(RoleAssignment.user_id == user_id,
                                                       RoleAssignment.role_id == role_id))


def live_sessions_of_user(session: Session, user_id: str) -> Sequence[SsoSession]:
    """A user's SSO sessions that have not ended."""
    return session.scalars(select(SsoSession).where(SsoSession.user_id == user_id,
                                                    SsoSession.ended_at.is_(None))).all()


def sso_session_by_cookie(session: Session, cookie_hash: str) -> SsoSession | None:
    """The SSO session a browser cookie names."""
    return session.scalar(select(SsoSession).where(SsoSession.cookie_hash == cookie_hash))


def revoke_refresh_tokens(session: Session, now: datetime, *, user_id: str | None = None,
                          session_id: str | None = None, family_id: str | None = None,
                          client_id: str | None = None) -> list[str]:
    """Revoke live refresh tokens matching one criterion; returns their last access-token ids."""
    cond: list[ColumnElement[bool]] = [RefreshToken.revoked_at.is_(None)]
    if client_id is not None:
        cond.append(RefreshToken.client_id == client_id)
    if user_id is not None:
        cond.append(RefreshToken.user_id == user_id)
    if session_id is not None:
        cond.append(RefreshToken.session_id == session_id)
    if family_id is not None:
        cond.append(RefreshToken.family_id == family_id)
    jtis = [j for j in session.scalars(select(RefreshToken.access_jti).where(*cond)) if j]
    session.execute(update(RefreshToken).where(*cond).values(revoked_at=now))
    return jtis


def expire_authorization_codes(session: Session, now: datetime, client_id: str) -> None:
    """Make an app's outstanding authorization codes unusable (they expire now)."""
    from bayfin.identity.core.models import AuthorizationCode

    session.execute(update(AuthorizationCode).where(
        AuthorizationCode.client_id == client_id, AuthorizationCode.expires_at > now)
        .values(expires_at=now))


def confirmed_factors(session: Session, user_id: str) -> Sequence[MfaFactor]:
    """A user's confirmed second factors."""
    return session.scalars(select(MfaFactor).where(MfaFactor.user_id == user_id,
                                                   MfaFactor.confirmed_at.is_not(None))).all()


def factor(session: Session, user_id: str, kind: str) -> MfaFactor | None:
    """A user's factor of one kind (confirmed or not)."""
    return session.scalar(select(MfaFactor).where(MfaFactor.user_id == user_id,
                                                  MfaFactor.kind == kind))


def group_members(session: Session, group_ids: list[str],
                  scope: AdminScope) -> dict[str, list[tuple[str, str]]]:
    """For each group, its members inside the scope as (user id, display name)."""
    out: dict[str, list[tuple[str, str]]] = {g: [] for g in group_ids}
    if not group_ids:
        return out
    rows = session.execute(select(GroupMember.group_id, User.id,
                                  func.coalesce(GroupMember.display, User.username))
                           .join(User, User.id == GroupMember.user_id)
                           .where(GroupMember.group_id.in_(group_ids),
                                  require_scope(scope).where(User.organization_id))
                           .order_by(User.username))
    for gid, uid, uname in rows:
        out[gid].append((uid, uname))
    return out


def groups_of_users(session: Session, user_ids: list[str],
                    scope: AdminScope) -> dict[str, list[tuple[str, str]]]:
    """For each user, the groups inside the scope it belongs to as (group id, display name)."""
    out: dict[str, list[tuple[str, str]]] = {u: [] for u in user_ids}
    if not user_ids:
        return out
    rows = session.execute(select(GroupMember.user_id, Group.id, Group.display_name)
                           .join(Group, Group.id == GroupMember.group_id)
                           .where(GroupMember.user_id.in_(user_ids),
                                  require_scope(scope).where(Group.organization_id))
                           .order_by(Group.display_name))
    for uid, gid, name in rows:
        out[uid].append((gid, name))
    return out


def count(session: Session, query: Select[Any]) -> int:
    """Rows a select would return."""
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def purge_expired(session: Session, now: datetime, forget_failures_before: datetime) -> dict[str, int]:
    """Delete what can no longer matter: expired codes, refresh tokens, sessions, revocations,
    signing keys past their grace (their private halves), and stale lock-out rows."""
    from sqlalchemy import delete

    from bayfin.identity.core.models import AuthorizationCode, LoginThrottle, Revocation, SigningKey

    counts: dict[str, int] = {}
    for name, stmt in (
        ("authorization_codes", delete(AuthorizationCode).where(AuthorizationCode.expires_at <= now)),
        ("refresh_tokens", delete(RefreshToken).where(RefreshToken.expires_at <= now)),
        ("revocations", delete(Revocation).where(Revocation.expires_at <= now)),
        ("signing_keys", delete(SigningKey).where(SigningKey.expires_at <= now)),
        ("sessions", delete(SsoSession).where(SsoSession.expires_at <= now)),
        ("login_throttles", delete(LoginThrottle).where(
            (LoginThrottle.locked_until.is_(None) | (LoginThrottle.locked_until <= now)),
            (LoginThrottle.last_failure_at.is_(None)
             | (LoginThrottle.last_failure_at <= forget_failures_before)))),
    ):
        counts[name] = int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
    session.flush()
    return counts


def login_throttle(session: Session, key: str) -> LoginThrottle:
    """The lock-out bookkeeping row of an account or address (a new, staged one if none)."""
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        session.add(row)
    return row


def invitation(session: Session, token_hash: str) -> Invitation | None:
    """The invitation a link's token hash names."""
    return session.get(Invitation, token_hash)


def void_open_invitations(session: Session, user_id: str) -> None:
    """Delete a user's unused invitations (their links stop working)."""
    session.execute(delete(Invitation).where(Invitation.user_id == user_id,
                                             Invitation.used_at.is_(None)))


def spend_invitation(session: Session, token_hash: str, now: datetime) -> bool:
    """Mark an unused invitation used with a guarded UPDATE: of two concurrent redemptions only
    one matches. True if this call spent it."""
    spent = session.execute(update(Invitation).where(
        Invitation.token_hash == token_hash, Invitation.used_at.is_(None)).values(
        used_at=now).execution_options(synchronize_session=False))
    return bool(spent.rowcount == 1)  # type: ignore[attr-defined]


def revocations_after(session: Session, last_id: int,
                      now: datetime) -> Sequence[Row[int, str, str, datetime, datetime]]:
    """Unexpired revocation feed entries added after ``last_id``, oldest first."""
    return session.execute(
        select(Revocation.id, Revocation.kind, Revocation.value, Revocation.at,
               Revocation.expires_at)
        .where(Revocation.id > last_id, Revocation.expires_at > now)
        .order_by(Revocation.id)).all()


def live_signing_keys(session: Session, now: datetime) -> Sequence[SigningKey]:
    """Signing keys that still verify at ``now`` (no expiry, or a later one), oldest first."""
    return session.scalars(select(SigningKey).where(
        or_(SigningKey.expires_at.is_(None), SigningKey.expires_at > now))
        .order_by(SigningKey.created_at)).all()


def signing_keys(session: Session) -> Sequence[SigningKey]:
    """Every stored signing key, oldest first."""
    return session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
