"""The database-backed, rotating signing-key store behind every access and ID token."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bayfin.identity.models import SigningKey
from bayfin.kernel.clock import utcnow
from bayfin.kernel.ids import new_id
from bayfin.kernel.security import KeyStore

log = logging.getLogger(__name__)


class DatabaseKeyStore:
    """Keys live in ``identity_signing_keys``; the newest unretired key signs and retired keys keep
    verifying for ``grace`` (the longest token lifetime) so rotation never cuts a valid token off.

    Until the first rotation the platform's existing key store (the development JWKS file) is used,
    so tokens minted before the identity module was installed stay valid. Reads are served from
    memory; the set is reloaded after a rotation, on an unknown ``kid`` (another process rotated) and
    every ``reload_seconds``.
    """

    def __init__(self, session_factory: Callable[[], Session], fallback: KeyStore, *,
                 grace: timedelta, reload_seconds: float = 60.0) -> None:
        self._session_factory = session_factory
        self._fallback = fallback
        self.grace = grace
        self._reload_seconds = reload_seconds
        self._lock = threading.Lock()
        self._signing: RSAKey = fallback.signing_key()
        self._set: KeySet = fallback.key_set()
        self._kids: frozenset[str] = frozenset(k.kid for k in self._set.keys if k.kid)
        self._public: dict[str, RSAPublicKey] = {}
        self._loaded_at = 0.0
        self._last_miss_reload = 0.0
        try:
            self.reload()
        except SQLAlchemyError:
            # The schema is not migrated yet (e.g. during ``bayfin db upgrade``): sign with the
            # bootstrap keys and look again at the next periodic reload.
            log.warning("identity signing keys unavailable; using the bootstrap key set")

    def reload(self) -> None:
        """Read the live keys from the database (falls back to the bootstrap store when none)."""
        now = utcnow()
        with self._session_factory() as session:
            rows = session.scalars(select(SigningKey).where(
                or_(SigningKey.expires_at.is_(None), SigningKey.expires_at > now))
                .order_by(SigningKey.created_at)).all()
        with self._lock:
            self._loaded_at = time.monotonic()
            if not rows:
                self._signing = self._fallback.signing_key()
                self._set = self._fallback.key_set()
            else:
                keys = [RSAKey.import_key(r.private_jwk) for r in rows]
                active = [k for k, r in zip(keys, rows, strict=True) if r.retired_at is None]
                self._signing = active[-1] if active else keys[-1]
                self._set = KeySet(keys)  # type: ignore[arg-type]
            self._kids = frozenset(k.kid for k in self._set.keys if k.kid)
            self._public = {str(k.kid): _public_key(k) for k in self._set.keys
                            if k.kid and isinstance(k, RSAKey)}

    def _maybe_reload(self) -> None:
        if time.monotonic() - self._loaded_at > self._reload_seconds:
            self.reload()

    def signing_key(self) -> RSAKey:
        """The key new tokens are signed with."""
        self._maybe_reload()
        return self._signing

    def key_set(self) -> KeySet:
        """Every key that still verifies."""
        self._maybe_reload()
        return self._set

    def public_key(self, kid: str) -> RSAPublicKey | None:
        """The ``cryptography`` public key object for ``kid`` (for the verifier's fast path)."""
        self._maybe_reload()
        return self._public.get(kid)

    @property
    def loaded_kids(self) -> frozenset[str]:
        """Key ids in the loaded set."""
        return self._kids

    def knows(self, kid: str | None) -> bool:
        """True if ``kid`` is in the loaded set; an unknown kid triggers at most one reload a second."""
        if kid in self._kids:
            return True
        if time.monotonic() - self._last_miss_reload > 1.0:
            self._last_miss_reload = time.monotonic()
            self.reload()
        return kid in self._kids

    def public_jwks(self) -> dict[str, list[dict[str, object]]]:
        """The JWKS document: public halves of every verifying key."""
        return {"keys": [dict(k.as_dict(private=False)) for k in self.key_set().keys]}

    def rotate(self, session: Session, now: datetime | None = None) -> str:
        """Retire the signing key (it verifies for ``grace`` more) and add a fresh one; returns its kid.

        The caller commits, then calls :meth:`reload` (e.g. via ``uow.after_commit``)."""
        now = now or utcnow()
        live = session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))).all()
        if not session.scalar(select(SigningKey.kid).limit(1)):
            # First rotation: the bootstrap key becomes a retired database key, so the tokens it
            # signed keep verifying in every process until they expire.
            boot = self._fallback.signing_key()
            session.add(SigningKey(kid=boot.kid or new_id("k"),
                                   private_jwk=dict(boot.as_dict(private=True)), created_at=now,
                                   retired_at=now, expires_at=now + self.grace))
        for row in live:
            row.retired_at = now
            row.expires_at = now + self.grace
        key = RSAKey.generate_key(2048, parameters={"kid": new_id("k"), "use": "sig",
                                                    "alg": "RS256"}, private=True)
        session.add(SigningKey(kid=str(key.kid), private_jwk=dict(key.as_dict(private=True)),
                               created_at=now))
        session.flush()
        return str(key.kid)

    def describe(self, session: Session) -> list[dict[str, object]]:
        """Every stored key with its state (no private material)."""
        rows = session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
        now = utcnow()
        out: list[dict[str, object]] = []
        for r in rows:
            state = "signing" if r.retired_at is None else (
                "verifying" if r.expires_at and r.expires_at > now else "expired")
            out.append({"kid": r.kid, "state": state, "created_at": r.created_at,
                        "retired_at": r.retired_at, "expires_at": r.expires_at})
        return out


def _public_key(key: RSAKey) -> RSAPublicKey:
    loaded = load_pem_public_key(key.as_pem(private=False))
    assert isinstance(loaded, RSAPublicKey)
    return loaded
