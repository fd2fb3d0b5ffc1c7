"""The OAuth/OIDC provider's queries: authorization codes, refresh tokens, SSO sessions by id and
consents. Records shared with the rest of identity (users, organizations, apps) are read through
:mod:`bayfin.identity.core.repository`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bayfin.identity.core.models import AuthorizationCode, Consent, RefreshToken, SsoSession


def authorization_code(session: Session, code_hash: str) -> AuthorizationCode | None:
    """The authorization code with this hash."""
    return session.get(AuthorizationCode, code_hash)


def refresh_token(session: Session, token_hash: str) -> RefreshToken | None:
    """The refresh token with this hash."""
    return session.get(RefreshToken, token_hash)


def any_refresh_token_of_family(session: Session, family_id: str) -> RefreshToken | None:
    """One refresh token of a rotation family (they all belong to the same client)."""
    return session.scalar(select(RefreshToken).where(RefreshToken.family_id == family_id).limit(1))


def sso_session(session: Session, session_id: str) -> SsoSession | None:
    """The SSO session with this id."""
    return session.get(SsoSession, session_id)


def consent(session: Session, user_id: str, app_id: str) -> Consent | None:
    """What a user has consented to give an app, if anything."""
    return session.scalar(select(Consent).where(Consent.user_id == user_id,
                                                Consent.app_id == app_id))
