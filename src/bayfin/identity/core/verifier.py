"""Bearer-token verification that also honours revocation at once: disabled users, disabled apps,
ended SSO sessions and revoked token ids. Only access tokens for this API pass (``typ`` at+jwt and
``aud`` checked, RFC 9068): an ID token or a token minted for another resource server is refused.
The hot path touches only memory; the revocation feed in the database is polled every couple of
seconds and right after each local change."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bayfin.identity.core import repository as repo
from bayfin.identity.core.keys import DatabaseKeyStore
from bayfin.identity.core.models import Revocation
from bayfin.identity.core.notify import ChangeNotifier, LocalOnly
from bayfin.kernel.clock import utcnow
from bayfin.kernel.errors import Unauthenticated
from bayfin.kernel.security import JwtTokens, Principal, check_access_token, principal_from_claims

_CACHE_LIMIT = 20_000
log = logging.getLogger(__name__)


class RevocationList:
    """In-memory mirror of ``identity_revocations``, advanced by id so each poll reads only news."""

    def __init__(self, session_factory: Callable[[], Session], poll_seconds: float = 2.0) -> None:
        self._session_factory = session_factory
        self.poll_seconds = poll_seconds
        self.user_cutoffs: dict[str, float] = {}
        #: client id -> cut-off (epoch seconds): tokens a disabled or deleted app obtained before it
        self.client_cutoffs: dict[str, float] = {}
        self._client_expiry: dict[str, float] = {}
        # value -> expiry (epoch seconds): entries are dropped once no token they match can be valid
        self.sessions: dict[str, float] = {}
        self.token_ids: dict[str, float] = {}
        self._user_expiry: dict[str, float] = {}
        self._next_prune = 0.0
        self.notifier: ChangeNotifier = LocalOnly()
        self._last_id = 0
        self._next_poll = 0.0
        self._lock = threading.Lock()
        try:
            self.refresh()
        except SQLAlchemyError:
            # Not migrated yet (``bayfin db upgrade`` builds the platform first): retry at next poll.
            log.warning("identity revocation feed unavailable; will retry")

    def refresh(self) -> None:
        """Read revocations added since the last read."""
        with self._lock:
            self._next_poll = time.monotonic() + self.poll_seconds
            with self._session_factory() as session:
                rows = repo.revocations_after(session, self._last_id, utcnow())
            for row in rows:
                self._apply(row.kind, row.value, row.at, row.expires_at.timestamp())
                self._last_id = max(self._last_id, int(row.id))
            self._next_poll = time.monotonic() + self.poll_seconds
            if time.time() >= self._next_prune:
                self._prune(time.time())

    def _apply(self, kind: str, value: str, at: datetime, expires: float) -> None:
        if kind == "user":
            self.user_cutoffs[value] = max(self.user_cutoffs.get(value, 0.0), at.timestamp())
            self._user_expiry[value] = max(self._user_expiry.get(value, 0.0), expires)
        elif kind == "client":
            self.client_cutoffs[value] = max(self.client_cutoffs.get(value, 0.0), at.timestamp())
            self._client_expiry[value] = max(self._client_expiry.get(value, 0.0), expires)
        elif kind == "session":
            self.sessions[value] = max(self.sessions.get(value, 0.0), expires)
        elif kind == "token":
            self.token_ids[value] = max(self.token_ids.get(value, 0.0), expires)

    def _prune(self, now: float) -> None:
        for table in (self.sessions, self.token_ids, self._user_expiry, self._client_expiry):
            for value in [v for v, exp in table.items() if exp <= now]:
                del table[value]
        for user in [u for u in self.user_cutoffs if u not in self._user_expiry]:
            del self.user_cutoffs[user]
        for client in [c for c in self.client_cutoffs if c not in self._client_expiry]:
            del self.client_cutoffs[client]
        self._next_prune = now + 60.0

    def changed(self) -> None:
        """A local change committed: read it now and tell the other processes."""
        self.refresh()
        self.notifier.publish()

    def poll_if_due(self) -> None:
        """Refresh when the poll interval has passed (one cheap indexed query every few seconds)."""
        if time.monotonic() >= self._next_poll:
            self.refresh()

    def refuses(self, subject: str, issued_at: int, session_id: str | None,
                token_id: str | None, client_id: str | None = None) -> bool:
        """True when the token was revoked directly, via its session, or by its user's or its
        app's cut-off."""
        cutoff = self.user_cutoffs.get(subject)
        if cutoff is not None and issued_at <= cutoff:
            return True
        if client_id is not None:
            app_cutoff = self.client_cutoffs.get(client_id)
            if app_cutoff is not None and issued_at <= app_cutoff:
                return True
        if session_id is not None and session_id in self.sessions:
            return True
        return token_id is not None and token_id in self.token_ids


def record_revocation(session: Session, kind: str, value: str, *, at: datetime,
                      expires_at: datetime) -> None:
    """Add one entry to the revocation feed (flushed; the caller commits)."""
    repo.add(session, Revocation(kind=kind, value=value, at=at, expires_at=expires_at))
    session.flush()


class IdentityTokenVerifier:
    """Signature, issuer and expiry via :class:`JwtTokens` (claim format unchanged), plus revocation.

    A verified token's principal is cached until the token expires, so a client that reuses its
    bearer token pays a dictionary lookup and three set probes per request."""

    def __init__(self, tokens: JwtTokens, keys: DatabaseKeyStore, revocations: RevocationList) -> None:
        self.tokens = tokens
        self.keys = keys
        self.revocations = revocations
        self._cache: dict[str, tuple[Principal, int, int, str | None]] = {}

    def _fast_claims(self, token: str) -> dict[str, Any] | None:
        """RS256 check straight on ``cryptography`` with a cached key object: the same checks as
        :meth:`JwtTokens.access_claims` (alg, kid, signature, issuer, typ, audience, expiry) without
        the generic JOSE machinery. None means "not decided here" and the slow path gives the answer."""
        try:
            head_b64, body_b64, sig_b64 = token.split(".")
            header = orjson.loads(_b64(head_b64))
            if not isinstance(header, dict) or header.get("alg") != "RS256":
                return None
            key = self.keys.public_key(str(header.get("kid")))
            if key is None:
                return None
            key.verify(_b64(sig_b64), f"{head_b64}.{body_b64}".encode(), PKCS1v15(), SHA256())
            claims = orjson.loads(_b64(body_b64))
        except (ValueError, InvalidSignature, orjson.JSONDecodeError):
            return None
        if not isinstance(claims, dict) or claims.get("iss") != self.tokens.issuer:
            return None
        check_access_token(header, claims, self.tokens.audience)  # signed by us: a final answer
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp < time.time():
            return None
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        fast = self._fast_claims(token)
        if fast is not None:
            return fast
        try:
            return self.tokens.access_claims(token)
        except Unauthenticated:
            # Perhaps another process rotated keys: look for the kid once, then try again.
            kid = _header_kid(token)
            if kid and kid not in self.keys.loaded_kids and self.keys.knows(kid):
                return self.tokens.access_claims(token)
            raise

    def verify(self, token: str) -> Principal:
        """The principal a valid, unrevoked token carries; :class:`Unauthenticated` otherwise."""
        self.revocations.poll_if_due()
        now = time.time()
        hit = self._cache.get(token)
        if hit is None or hit[1] < now:
            claims = self._decode(token)
            principal = principal_from_claims(claims)
            hit = (principal, int(claims["exp"]), int(claims.get("iat") or 0), claims.get("sid"))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = hit
        principal, _exp, issued_at, session_id = hit
        if self.revocations.refuses(principal.subject, issued_at, session_id, principal.token_id,
                                    principal.client_id):
            raise Unauthenticated("the access token has been revoked")
        return principal


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _header_kid(token: str) -> str | None:
    try:
        data = orjson.loads(_b64(token.split(".", 1)[0]))
    except (ValueError, IndexError):
        return None
    kid = data.get("kid") if isinstance(data, dict) else None
    return kid if isinstance(kid, str) else None
