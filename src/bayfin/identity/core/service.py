"""Identity administration: organizations, users, apps, roles, and ending access at once.

Services only flush; the edge commits. Every change is written to the audit log with ids only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bayfin.identity.core import repository as repo
from bayfin.identity.core.domain import CLIENT_TYPES, GRANT_TYPES, ORG_TYPES, acceptable_redirect_uri
from bayfin.identity.core.models import App, Organization, Role, RoleAssignment, SsoSession, User
from bayfin.identity.core.passwords import Passwords, check_password_policy
from bayfin.identity.core.scoping import RESERVED_ROLES, AdminScope, is_platform_admin, require_scope
from bayfin.identity.core.verifier import RevocationList, record_revocation
from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.kernel.security import Principal


@dataclass(frozen=True)
class Actor:
    """Who performs an identity change (for the audit log) and the organizations they may act on."""

    subject: str
    organization_id: str | None
    scope: AdminScope

    @classmethod
    def of(cls, principal: Principal, scope: AdminScope) -> Actor:
        """The actor behind an API caller, confined to ``scope``."""
        return cls(principal.subject, principal.organization_id, require_scope(scope))


SYSTEM = Actor("system:cli", None, AdminScope.whole_platform())


def hash_client_secret(secret: str) -> str:
    """Client secrets are 256-bit random values, so a fast keyed-free SHA-256 resists guessing."""
    return hashlib.sha256(secret.encode()).hexdigest()


def client_secret_matches(stored: str | None, presented: str) -> bool:
    """Constant-time comparison of a presented client secret with the stored hash."""
    return stored is not None and hmac.compare_digest(stored, hash_client_secret(presented))


def scope_of(session: Session, principal: Principal) -> AdminScope:
    """The administrative scope of an API caller (its organization's subtree, or the platform)."""
    if is_platform_admin(principal):
        return AdminScope.whole_platform()
    code = principal.organization_id
    org = repo.org_by_code(session, code) if code else None
    if org is None:
        raise Forbidden("the caller belongs to no organization it could administer")
    return AdminScope(False, repo.org_subtree(session, org.id), org.id)


def after_commit(session: Session, hook: Callable[[], None]) -> None:
    """Run ``hook`` once the session's transaction commits (dropped on rollback)."""
    event.listen(session, "after_commit", lambda _s: hook(), once=True)


class IdentityService:
    """Use cases behind the admin API, the CLI and SCIM."""

    def __init__(self, audit: AuditLog, passwords: Passwords, revocations: RevocationList,
                 clock: Clock, revocation_ttl: timedelta) -> None:
        self.audit = audit
        self.passwords = passwords
        self.revocations = revocations
        self.clock = clock
        self.revocation_ttl = revocation_ttl

    def _audit(self, session: Session, actor: Actor, action: str, subject_type: str,
               subject_id: str, details: dict[str, Any] | None = None, outcome: str = "ok") -> None:
        self.audit.record(session, actor=actor.subject, actor_org=actor.organization_id,
                          action=f"identity.{action}", subject_type=subject_type,
                          subject_id=subject_id, outcome=outcome, details=details or {})

    # organizations -----------------------------------------------------------------------------
    def create_org(self, session: Session, actor: Actor, *, code: str, name: str, org_type: str,
                   parent: str | None = None) -> Organization:
        """Register an institution, branch, enterprise, regulator or the operator."""
        if org_type not in ORG_TYPES:
            raise ValidationFailed(f"org_type must be one of {', '.join(ORG_TYPES)}")
        if not parent and not actor.scope.platform:
            raise Forbidden("only a platform administrator registers a top-level organization")
        if repo.org_by_code_or_id(session, code):
            raise Conflict("an organization with this code exists")
        parent_id = None
        if parent:
            parent_org = repo.org_by_code_or_id(session, parent)
            if parent_org is None or not actor.scope.covers(parent_org.id):
                raise NotFound("no such parent organization")
            if parent_org.org_type != org_type:
                raise ValidationFailed("a branch has its parent's organization type")
            parent_id = parent_org.id
        org = Organization(id=new_id("org"), code=code, name=name, org_type=org_type,
                           parent_id=parent_id, created_at=self.clock.now())
        repo.add(session, org)
        session.flush()
        self._audit(session, actor, "org.create", "organization", org.id,
                    {"org_type": org_type, "parent_id": parent_id})
        return org

    def get_org(self, session: Session, ref: str, scope: AdminScope) -> Organization:
        """An organization (by id or code) inside ``scope``; others do not exist for the caller."""
        org = repo.org_by_code_or_id(session, ref)
        if org is None or not require_scope(scope).covers(org.id):
            raise NotFound("no such organization")
        return org

    def _owner(self, session: Session, actor: Actor, organization: str | None) -> str | None:
        """The organization a new record belongs to: the one named (inside the actor's scope),
        else the actor's own (a delegated administrator cannot create platform-owned records)."""
        if organization:
            return self.get_org(session, organization, actor.scope).id
        return actor.scope.home_org_id

    # users -------------------------------------------------------------------------------------
    def create_user(self, session: Session, actor: Actor, *, username: str, display_name: str,
                    organization: str | None = None, email: str | None = None,
                    password: str | None = None, external_id: str | None = None,
                    active: bool = True, locale: str | None = None,
                    attributes: dict[str, Any] | None = None) -> User:
        """Create a user (optionally with a password; SCIM-provisioned users may set one later)."""
        name = username.strip().lower()
        if not name or len(name) > 120:
            raise ValidationFailed("a user name of 1 to 120 characters is required")
        org_id = self._owner(session, actor, organization)
        if repo.user_by_username(session, name):
            raise Conflict("this user name is taken")
        now = self.clock.now()
        user = User(id=new_id("usr"), username=name, display_name=display_name or name,
                    email=email, organization_id=org_id, active=active, external_id=external_id,
                    locale=locale, scim_attributes=dict(attributes or {}), created_at=now,
                    updated_at=now)
        if password is not None:
            user.password_hash = self._hash_new(password)
        repo.add(session, user)
        session.flush()
        self._audit(session, actor, "user.create", "user", user.id, {"organization_id": org_id})
        return user

    def _hash_new(self, password: str) -> str:
        problems = check_password_policy(password)
        if problems:
            raise ValidationFailed("the password is too weak: " + "; ".join(problems))
        return self.passwords.hash(password)

    def get_user(self, session: Session, ref: str, scope: AdminScope) -> User:
        """A user (by id or user name) inside ``scope``; others do not exist for the caller."""
        user = repo.user_in_scope(session, require_scope(scope), ref)
        if user is None:
            raise NotFound("no such user")
        return user

    def _mine(self, session: Session, actor: Actor, user: User) -> None:
        """Refuse changing a user outside the actor's scope (defence in depth: the user must come
        from a scoped lookup), or one holding a reserved role unless the actor administers the
        platform: resetting such a user's password would hand over the platform's powers."""
        if not actor.scope.covers(user.organization_id):
            raise NotFound("no such user")
        if not actor.scope.platform and self.holds_reserved_role(session, user):
            raise Forbidden("this user holds a platform role: only a platform administrator "
                            "changes them")

    @staticmethod
    def holds_reserved_role(session: Session, user: User) -> bool:
        """True if the user holds a role reserved to the platform administrator."""
        return any(r.name in RESERVED_ROLES for r in repo.roles_of_user(session, user.id, None))

    def update_user(self, session: Session, actor: Actor, user: User, *,
                    display_name: str | None = None, email: str | None = None,
                    organization: str | None = None, external_id: str | None = None,
                    locale: str | None = None) -> User:
        """Change a user's profile fields; moving them needs both organizations in scope."""
        self._mine(session, actor, user)
        changed = []
        for field, value in (("display_name", display_name), ("email", email),
                             ("external_id", external_id), ("locale", locale)):
            if value is not None and getattr(user, field) != value:
                setattr(user, field, value)
                changed.append(field)
        return self._move_and_record(session, actor, user, organization, changed)

    def replace_profile(self, session: Session, actor: Actor, user: User, *, username: str,
                        display_name: str, email: str | None, external_id: str | None,
                        locale: str | None, organization: str | None,
                        attributes: dict[str, Any]) -> User:
        """Replace what a directory provisions (SCIM PUT): absent fields are cleared; the
        organization changes only to another one inside the actor's scope."""
        self._mine(session, actor, user)
        name = username.strip().lower()
        if not name or len(name) > 120:
            raise ValidationFailed("a user name of 1 to 120 characters is required")
        if name != user.username and repo.user_by_username(session, name):
            raise Conflict("this user name is taken", scimType="uniqueness")
        changed = []
        for field, value in (("username", name), ("display_name", display_name or name),
                             ("email", email), ("external_id", external_id), ("locale", locale),
                             ("scim_attributes", attributes)):
            if getattr(user, field) != value:
                setattr(user, field, value)
                changed.append(field)
        return self._move_and_record(session, actor, user, organization, changed)

    def _move_and_record(self, session: Session, actor: Actor, user: User,
                         organization: str | None, changed: list[str]) -> User:
        """Move the user to ``organization`` when one is named (it must lie inside the actor's
        scope), then stamp, flush and audit the ``changed`` fields, if any."""
        if organization is not None:
            target = self.get_org(session, organization, actor.scope).id
            if target != user.organization_id:
                user.organization_id = target
                changed.append("organization_id")
        if changed:
            user.updated_at = self.clock.now()
            session.flush()
            self._audit(session, actor, "user.update", "user", user.id, {"fields": changed})
        return user

    def set_password(self, session: Session, actor: Actor, user: User, password: str) -> None:
        """Set a new password (policy-checked, Argon2id)."""
        self._mine(session, actor, user)
        user.password_hash = self._hash_new(password)
        user.updated_at = self.clock.now()
        session.flush()
        self._audit(session, actor, "user.password_set", "user", user.id)

    def choose_password(self, session: Session, user: User, password: str) -> None:
        """The user sets their own password (an invitation link): policy-checked, audited as them."""
        user.password_hash = self._hash_new(password)
        user.updated_at = self.clock.now()
        session.flush()
        self._audit(session, Actor(user.id, None, AdminScope(False, frozenset(), None)),
                    "user.password_set", "user", user.id, {"by": "invitation"})

    def set_active(self, session: Session, actor: Actor, user: User, active: bool) -> User:
        """Enable or disable a user; disabling ends sessions, refresh and access tokens at once."""
        self._mine(session, actor, user)
        if user.active == active:
            return user
        user.active = active
        if "schemas" in (user.scim_attributes or {}):  # a directory's user: it sees the new state
            user.scim_attributes = {**user.scim_attributes, "active": active}
        now = self.clock.now()
        user.updated_at = now
        if not active:
            self.cut_off_user(session, user.id, now)
        session.flush()
        self._audit(session, actor, "user.enable" if active else "user.disable", "user", user.id)
        return user

    def cut_off_user(self, session: Session, user_id: str, now: datetime) -> None:
        """End every session and token of a user (their access tokens are refused from now on)."""
        for sso in repo.live_sessions_of_user(session, user_id):
            sso.state, sso.ended_at = "ended", now
        repo.revoke_refresh_tokens(session, now, user_id=user_id)
        record_revocation(session, "user", user_id, at=now, expires_at=now + self.revocation_ttl)
        after_commit(session, self.revocations.changed)

    def end_session(self, session: Session, sso: SsoSession, now: datetime) -> None:
        """End one SSO session in every app: its refresh tokens die and its access tokens are refused."""
        sso.state, sso.ended_at = "ended", now
        jtis = repo.revoke_refresh_tokens(session, now, session_id=sso.id)
        record_revocation(session, "session", sso.id, at=now, expires_at=now + self.revocation_ttl)
        for jti in jtis:
            record_revocation(session, "token", jti, at=now, expires_at=now + self.revocation_ttl)
        after_commit(session, self.revocations.changed)

    # apps --------------------------------------------------------------------------------------
    def create_app(self, session: Session, actor: Actor, *, client_id: str, name: str,
                   client_type: str, redirect_uris: list[str] | None = None,
                   post_logout_redirect_uris: list[str] | None = None,
                   grant_types: list[str] | None = None, scopes: list[str] | None = None,
                   service_roles: list[str] | None = None, organization: str | None = None,
                   first_party: bool = False) -> tuple[App, str | None]:
        """Register an app; a confidential one gets a client secret, shown only this once."""
        if client_type not in CLIENT_TYPES:
            raise ValidationFailed("client_type must be public or confidential")
        grants = grant_types or ["authorization_code", "refresh_token"]
        bad = [g for g in grants if g not in GRANT_TYPES]
        if bad:
            raise ValidationFailed(f"unsupported grant types: {', '.join(bad)}")
        if client_type == "public" and "client_credentials" in grants:
            raise ValidationFailed("a public client cannot use client credentials")
        for uri in (redirect_uris or []) + (post_logout_redirect_uris or []):
            if not acceptable_redirect_uri(uri):
                raise ValidationFailed("redirect URIs must be https (or loopback) without a fragment")
        if not actor.scope.platform and (first_party or RESERVED_ROLES & set(service_roles or [])):
            raise Forbidden("only a platform administrator registers first-party apps or gives "
                            "an app a platform role")
        org_id = self._owner(session, actor, organization)
        if repo.app_by_client_id(session, client_id):
            raise Conflict("this client id is taken")
        secret = secrets.token_urlsafe(32) if client_type == "confidential" else None
        app = App(id=new_id("app"), client_id=client_id, name=name, client_type=client_type,
                  secret_hash=hash_client_secret(secret) if secret else None,
                  redirect_uris=list(redirect_uris or []),
                  post_logout_redirect_uris=list(post_logout_redirect_uris or []),
                  grant_types=grants, scopes=sorted(set(scopes or ["openid", "profile"])),
                  service_roles=sorted(set(service_roles or [])), organization_id=org_id,
                  first_party=first_party, active=True, created_at=self.clock.now())
        repo.add(session, app)
        session.flush()
        self._audit(session, actor, "app.create", "app", app.id,
                    {"client_id": client_id, "client_type": client_type, "grant_types": grants})
        return app, secret

    def get_app(self, session: Session, client_id: str, scope: AdminScope) -> App:
        """An app (by client id) owned inside ``scope``; others do not exist for the caller."""
        app = repo.app_by_client_id(session, client_id)
        if app is None or not require_scope(scope).covers(app.organization_id):
            raise NotFound("no such app")
        return app

    # roles -------------------------------------------------------------------------------------
    def create_role(self, session: Session, actor: Actor, *, app: str | None, name: str,
                    permissions: list[str]) -> Role:
        """Define a role (a set of permission scopes) in one app or platform-wide."""
        if not actor.scope.platform and (app is None or name in RESERVED_ROLES):
            raise Forbidden("only a platform administrator defines platform-wide or reserved roles")
        app_id = self.get_app(session, app, actor.scope).id if app else None
        if repo.role_by_name(session, app_id, name):
            raise Conflict("this role exists")
        role = Role(id=new_id("rol"), app_id=app_id, name=name,
                    permissions=sorted(set(permissions)), created_at=self.clock.now())
        repo.add(session, role)
        session.flush()
        self._audit(session, actor, "role.create", "role", role.id,
                    {"app_id": app_id, "permissions": role.permissions})
        return role

    def _role(self, session: Session, actor: Actor, app: str | None, name: str) -> Role:
        self._mine_role(actor, app, name)
        app_id = self.get_app(session, app, actor.scope).id if app else None
        role = repo.role_by_name(session, app_id, name)
        if role is None:
            raise NotFound("no such role")
        return role

    def assign_role(self, session: Session, actor: Actor, user: User, *, app: str | None,
                    role: str) -> Role:
        """Give a user a role (idempotent); platform-wide roles only from a platform administrator."""
        self._mine(session, actor, user)
        found = self._role(session, actor, app, role)
        if repo.assignment(session, user.id, found.id) is None:
            repo.add(session, RoleAssignment(user_id=user.id, role_id=found.id))
            session.flush()
            self._audit(session, actor, "role.assign", "user", user.id,
                        {"role_id": found.id, "app_id": found.app_id})
        return found

    def unassign_role(self, session: Session, actor: Actor, user: User, *, app: str | None,
                      role: str) -> None:
        """Take a role away; tokens already issued keep it until they expire (≤ access-token TTL)."""
        self._mine(session, actor, user)
        found = self._role(session, actor, app, role)
        held = repo.assignment(session, user.id, found.id)
        if held is None:
            raise NotFound("the user does not hold this role")
        repo.remove(session, held)
        session.flush()
        self._audit(session, actor, "role.unassign", "user", user.id,
                    {"role_id": found.id, "app_id": found.app_id})

    @staticmethod
    def _mine_role(actor: Actor, app: str | None, name: str) -> None:
        if not actor.scope.platform and (app is None or name in RESERVED_ROLES):
            raise Forbidden("only a platform administrator grants platform-wide or reserved roles")

    def roles_and_permissions(self, session: Session, user_id: str,
                              app_id: str | None) -> tuple[list[str], set[str]]:
        """Role names and the union of their permissions for a user in one app."""
        roles = repo.roles_of_user(session, user_id, app_id)
        perms: set[str] = set()
        for r in roles:
            perms.update(r.permissions)
        return sorted({r.name for r in roles}), perms
