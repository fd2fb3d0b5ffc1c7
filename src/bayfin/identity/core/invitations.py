"""Invitations: a provisioned user (SCIM or the admin API create users without a password) chooses
their own password through a one-time link.

The link carries a 256-bit random token; only its SHA-256 is stored. It expires, works once, a new
invitation voids the older ones, and issuing, redeeming and every refused attempt are audited.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from bayfin.identity.core import repository as repo
from bayfin.identity.core.models import Invitation, User
from bayfin.identity.core.service import Actor, IdentityService
from bayfin.kernel.errors import AppError, Forbidden

INVITATION_TTL = timedelta(hours=72)
SET_PASSWORD_PAGE = "/oauth2/set-password"  # noqa: S105 - a URL path, not a secret


class InvitationRefused(AppError):
    """The link is unknown, used, expired, or its user cannot sign in (one message for all)."""

    status_code = 400
    code = "invitation_invalid"
    title = "Invitation not valid"
    persist_on_raise = True  # the refusal's audit entry survives the error


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitations:
    """Issue and redeem set-password links."""

    def __init__(self, identity: IdentityService, issuer: str) -> None:
        self.identity = identity
        self.issuer = issuer.rstrip("/")

    def invite(self, session: Session, actor: Actor, user: User) -> tuple[str, datetime]:
        """A new one-time link for ``user`` (older unused links stop working); its expiry."""
        if not actor.scope.covers(user.organization_id):
            raise AssertionError("invite() needs a user from a scoped lookup")
        if not actor.scope.platform and self.identity.holds_reserved_role(session, user):
            raise Forbidden("this user holds a platform role: only a platform administrator "
                            "invites them")
        if not user.active:
            raise InvitationRefused("a disabled user cannot be invited")
        repo.void_open_invitations(session, user.id)
        token = secrets.token_urlsafe(32)
        now = self.identity.clock.now()
        expires = now + INVITATION_TTL
        repo.add(session, Invitation(token_hash=_digest(token), user_id=user.id,
                                     created_by=actor.subject, created_at=now, expires_at=expires))
        session.flush()
        self.identity.audit.record(session, actor=actor.subject, actor_org=actor.organization_id,
                                   action="identity.user.invite", subject_type="user",
                                   subject_id=user.id, details={"expires_at": expires.isoformat()})
        return f"{self.issuer}{SET_PASSWORD_PAGE}?{urlencode({'token': token})}", expires

    def pending(self, session: Session, token: str) -> Invitation | None:
        """The unused, unexpired invitation a token names (None otherwise)."""
        if not token or len(token) > 100:
            return None
        found = repo.invitation(session, _digest(token))
        if found is None or found.used_at is not None or found.expires_at <= self.identity.clock.now():
            return None
        return found

    def redeem(self, session: Session, token: str, password: str, source: str) -> User:
        """Set the password the link's user chose (policy-checked) and spend the link."""
        found = self.pending(session, token)
        user = repo.user_by_id(session, found.user_id) if found else None
        if found is None or user is None or not user.active:
            self.identity.audit.record(session, actor=f"anonymous:{source}",
                                       action="identity.user.invitation_redeem",
                                       subject_type="invitation",
                                       subject_id=_digest(token or "")[:16], outcome="refused")
            raise InvitationRefused("this link is not valid any more; ask for a new invitation")
        self.identity.choose_password(session, user, password)
        # Spend the link with a guarded UPDATE: of two concurrent redemptions only one matches.
        if not repo.spend_invitation(session, found.token_hash, self.identity.clock.now()):
            raise InvitationRefused("this link is not valid any more; ask for a new invitation")
        repo.void_open_invitations(session, user.id)
        session.flush()
        self.identity.audit.record(session, actor=user.id, action="identity.user.invitation_redeem",
                                   subject_type="user", subject_id=user.id,
                                   details={"invited_by": found.created_by})
        return user

