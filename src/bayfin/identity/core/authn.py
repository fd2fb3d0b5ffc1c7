"""Signing in: password check with lock-out per account and per address, SSO sessions, second
factors. Failures look the same whether or not the account exists, in message and in time."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bayfin.identity.core import repository as repo
from bayfin.identity.core.domain import (
    ACCOUNT_LOCKOUT,
    ADDRESS_LOCKOUT,
    LockoutPolicy,
    failures_after_miss,
    is_locked,
)
from bayfin.identity.core.factors import FactorRegistry
from bayfin.identity.core.hashing import sha256
from bayfin.identity.core.models import LoginThrottle, MfaFactor, SsoSession, User
from bayfin.identity.core.passwords import Passwords
from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import Conflict, NotFound, ValidationFailed
from bayfin.kernel.ids import new_id

SESSION_TTL = timedelta(hours=8)
#: The RFC 8176 ``amr`` value each factor kind adds to a session ("pwd" comes with the password).
FACTOR_AMR = {"totp": "otp", "voiceprint": "voiceprint"}


class LoginRefused(Exception):
    """Sign-in failed; ``locked_for`` is set when a lock-out (not the password) refused it."""

    def __init__(self, locked_for: timedelta | None = None) -> None:
        super().__init__("login refused")
        self.locked_for = locked_for


@dataclass
class NewSession:
    """A started SSO session and the cookie secret that names it (never stored in clear)."""

    session: SsoSession
    cookie: str


class Authenticator:
    """Password and second-factor checks, lock-out bookkeeping and SSO session lifecycle."""

    def __init__(self, passwords: Passwords, audit: AuditLog, clock: Clock,
                 factors: FactorRegistry) -> None:
        self.passwords = passwords
        self.audit = audit
        self.clock = clock
        self.factors = factors

    def _throttle(self, session: Session, key: str) -> LoginThrottle:
        return repo.login_throttle(session, key)

    def _fail(self, row: LoginThrottle, policy: LockoutPolicy, now: datetime) -> None:
        row.failures = failures_after_miss(row.failures or 0, row.last_failure_at, now)
        row.last_failure_at = now
        lock = policy.lock_for(row.failures)
        if lock is not None:
            row.locked_until = now + lock

    def authenticate(self, session: Session, username: str, password: str,
                     address: str) -> User:
        """The user whose password this is, or :class:`LoginRefused` (same for unknown names)."""
        now = self.clock.now()
        name = username.strip().lower()[:120]
        account = self._throttle(session, f"acct:{name}")
        source = self._throttle(session, f"addr:{address}")
        user = repo.user_by_username(session, name)
        locked = [r.locked_until for r in (account, source)
                  if r.locked_until is not None and is_locked(r.locked_until, now)]
        # The hash is checked even when locked or unknown so every refusal costs the same time.
        ok = self.passwords.verify(user.password_hash if user is not None else None, password)
        subject = user.id if user is not None else "unknown"
        if locked:
            wait = max(locked) - now
            self._record(session, subject, "refused", "locked", address)
            raise LoginRefused(locked_for=wait)
        if not ok or user is None or not user.active:
            self._fail(account, ACCOUNT_LOCKOUT, now)
            self._fail(source, ADDRESS_LOCKOUT, now)
            reason = "disabled" if ok and user is not None else "bad_credentials"
            self._record(session, subject, "refused", reason, address)
            raise LoginRefused()
        account.failures, account.locked_until = 0, None
        if self.passwords.needs_rehash(user.password_hash or ""):
            user.password_hash = self.passwords.hash(password)
        self._record(session, user.id, "ok", "password", address)
        return user

    def _record(self, session: Session, subject: str, outcome: str, reason: str,
                address: str) -> None:
        self.audit.record(session, actor=subject, action="identity.login", subject_type="user",
                          subject_id=subject, outcome=outcome,
                          details={"reason": reason, "address_hash": sha256(address)[:16]})
        session.flush()

    def start_session(self, session: Session, user: User) -> NewSession:
        """Open an SSO session; it waits for the second factor when the user has one."""
        now = self.clock.now()
        needs_mfa = bool(repo.confirmed_factors(session, user.id))
        cookie = secrets.token_urlsafe(32)
        sso = SsoSession(id=new_id("sid"), cookie_hash=sha256(cookie), user_id=user.id,
                         state="pending_mfa" if needs_mfa else "active", acr="pwd", amr=["pwd"],
                         auth_time=now, expires_at=now + SESSION_TTL)
        repo.add(session, sso)
        session.flush()
        return NewSession(sso, cookie)

    def session_from_cookie(self, session: Session, cookie: str | None) -> SsoSession | None:
        """The live session a cookie names (pending sessions included), or None."""
        if not cookie:
            return None
        sso = repo.sso_session_by_cookie(session, sha256(cookie))
        if sso is None or sso.ended_at is not None or sso.expires_at <= self.clock.now():
            return None
        user = repo.user_by_id(session, sso.user_id)
        if user is None or not user.active:
            return None
        return sso

    def check_factor(self, session: Session, sso: SsoSession, kind: str, response: str) -> bool:
        """Verify a second-factor response and raise the session to acr ``mfa``."""
        row = repo.factor(session, sso.user_id, kind)
        factor = self.factors.get(kind)
        ok = bool(row and row.confirmed_at and factor and factor.check(row, response))
        self.audit.record(session, actor=sso.user_id, action="identity.mfa.verify",
                          subject_type="user", subject_id=sso.user_id,
                          outcome="ok" if ok else "refused", details={"factor": kind})
        if ok:
            sso.state, sso.acr = "active", "mfa"
            sso.amr = sorted({*(sso.amr or []), FACTOR_AMR.get(kind, kind)})
            sso.auth_time = self.clock.now()
        session.flush()
        return ok

    def enrol(self, session: Session, user: User, kind: str) -> dict[str, str]:
        """Start enrolling a factor; it counts once confirmed with a valid response."""
        factor = self.factors.get(kind)
        if factor is None:
            raise NotFound("no such factor kind")
        row = repo.factor(session, user.id, kind)
        if row is not None and row.confirmed_at is not None:
            raise Conflict("this factor is already enrolled")
        secret = factor.new_secret()
        if row is None:
            row = MfaFactor(id=new_id("mfa"), user_id=user.id, kind=kind, secret=secret,
                            created_at=self.clock.now())
            repo.add(session, row)
        else:
            row.secret = secret
        session.flush()
        self.audit.record(session, actor=user.id, action="identity.mfa.enrol", subject_type="user",
                          subject_id=user.id, details={"factor": kind})
        return factor.enrolment(secret, user.username)

    def confirm(self, session: Session, user: User, kind: str, response: str) -> None:
        """Finish enrolment with a first valid response."""
        row = repo.factor(session, user.id, kind)
        factor = self.factors.get(kind)
        if row is None or factor is None:
            raise NotFound("enrol this factor first")
        if not factor.check(row, response):
            raise ValidationFailed("the code is not valid")
        row.confirmed_at = self.clock.now()
        session.flush()
        self.audit.record(session, actor=user.id, action="identity.mfa.confirm",
                          subject_type="user", subject_id=user.id, details={"factor": kind})
