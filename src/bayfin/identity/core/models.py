"""Identity tables: organizations, users, apps (OAuth clients), roles, SSO sessions, codes, refresh
tokens, signing keys, throttles, second factors and the revocation feed the token verifier follows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime

_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Organization(Base):
    """An institution (with branches as children), an enterprise, the operator or a regulator."""

    __tablename__ = "identity_organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    org_type: Mapped[str] = mapped_column(String(20), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("identity_organizations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    """A person who signs in; ``active`` false means disabled (no login, no token accepted)."""

    __tablename__ = "identity_users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("identity_organizations.id"),
                                                        index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    #: What a directory provisioned beyond the columns above (name parts, title, phone numbers,
    #: addresses, roles, every e-mail, the enterprise extension…), as SCIM attributes, so nothing
    #: sent is dropped. Never the password.
    scim_attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class App(Base):
    """A registered application: an OAuth 2 / OIDC client (public or confidential)."""

    __tablename__ = "identity_apps"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    client_type: Mapped[str] = mapped_column(String(20))  # public | confidential
    secret_hash: Mapped[str | None] = mapped_column(String(128))
    #: After a secret rotation the old secret keeps working until ``previous_secret_expires_at``.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(128))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Roles a client-credentials token carries (the app acting as itself).
    service_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("identity_organizations.id"),
                                                        index=True)
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Role(Base):
    """A named set of permissions (scopes) within one app, or platform-wide when ``app_id`` is null."""

    __tablename__ = "identity_roles"
    __table_args__ = (UniqueConstraint("app_id", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    app_id: Mapped[str | None] = mapped_column(ForeignKey("identity_apps.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoleAssignment(Base):
    """A user holds a role."""

    __tablename__ = "identity_role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role_id"),)

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("identity_users.id"), index=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("identity_roles.id"), index=True)


class Group(Base):
    """A SCIM group (a directory's team or department), owned by one organization (none: the
    platform's own); its name is unique within its owner."""

    __tablename__ = "identity_groups"
    __table_args__ = (UniqueConstraint("organization_id", "display_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("identity_organizations.id"),
                                                        index=True)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupMember(Base):
    """A user belongs to a group."""

    __tablename__ = "identity_group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("identity_groups.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("identity_users.id"), primary_key=True,
                                         index=True)
    #: The member's display name as the directory sent it (the user name when it sent none).
    display: Mapped[str | None] = mapped_column(String(200))


class Invitation(Base):
    """A one-time link that lets a provisioned user choose a password (stored as its SHA-256)."""

    __tablename__ = "identity_invitations"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("identity_users.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SigningKey(Base):
    """An RS256 key pair: published from ``created_at``, signing from ``activates_at`` (null: from
    creation) until ``retired_at``, verifying until ``expires_at``."""

    __tablename__ = "identity_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activates_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SsoSession(Base):
    """A browser's single-sign-on session; the cookie holds a secret whose hash is stored here."""

    __tablename__ = "identity_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    cookie_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("identity_users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))  # pending_mfa | active | ended
    acr: Mapped[str] = mapped_column(String(20))
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Consent(Base):
    """Scopes a user agreed to give an app, remembered so SSO does not ask again."""

    __tablename__ = "identity_consents"
    __table_args__ = (UniqueConstraint("user_id", "app_id"),)

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("identity_users.id"), index=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("identity_apps.id"))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuthorizationCode(Base):
    """A one-time authorization code (stored as its SHA-256)."""

    __tablename__ = "identity_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(ForeignKey("identity_users.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(String(40))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    scope: Mapped[str] = mapped_column(String(1000))
    nonce: Mapped[str | None] = mapped_column(String(200))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    acr: Mapped[str | None] = mapped_column(String(20))
    amr: Mapped[list[str] | None] = mapped_column(JSON)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Set when exchanged; a second exchange revokes what the first one issued (RFC 6749 §4.1.2).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    family_id: Mapped[str | None] = mapped_column(String(40))
    access_jti: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(Base):
    """A refresh token (stored as its SHA-256); rotation links each to its family for reuse detection."""

    __tablename__ = "identity_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(40), index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(ForeignKey("identity_users.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(String(40), index=True)
    scope: Mapped[str] = mapped_column(String(1000))
    acr: Mapped[str | None] = mapped_column(String(20))
    amr: Mapped[list[str] | None] = mapped_column(JSON)
    #: When the user signed in for the grant (a refresh does not make a login fresh again).
    auth_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    access_jti: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginThrottle(Base):
    """Failure counts and lock-out deadline for one account name or one source address."""

    __tablename__ = "identity_login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MfaFactor(Base):
    """A second factor enrolled by a user (TOTP now; voiceprint plugs in later)."""

    __tablename__ = "identity_mfa_factors"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("identity_users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    secret: Mapped[str] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_step: Mapped[int | None] = mapped_column(_BigInt)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Revocation(Base):
    """One entry of the feed the in-process verifier follows: a user cut-off, an ended session or a
    revoked access token id. Entries expire once no token they could match is still valid."""

    __tablename__ = "identity_revocations"

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # user | client | session | token
    value: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
