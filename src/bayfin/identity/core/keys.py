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
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bayfin.identity.core import repository as repo
from bayfin.identity.core.models import SigningKey
from bayfin.identity.core.notify import ChangeNotifier, LocalOnly
from bayfin.kernel.clock import utcnow
from bayfin.kernel.ids import new_id
from bayfin.kernel.security import KeyStore

log = logging.getLogger(__name__)
#: How long relying parties may cache the JWKS document (its Cache-Control max-age); a new key is
#: published at least this long before it signs.
JWKS_MAX_AGE = timedelta(seconds=300)


class DatabaseKeyStore:
    """Keys live in ``identity_signing_keys``. A rotation first *publishes* the next key in the JWKS
    and lets it sign only from ``activates_at`` (``publish_lead``: one JWKS cache lifetime plus one
    reload interval later), so relying parties holding a cached key set can verify its first token;
    the key it replaces stops signing at that moment and keeps verifying for ``grace`` (the longest
    token lifetime).

    Until the first rotation the platform's existing key store (the development JWKS file) is used,
    so tokens minted before the identity module was installed stay valid. Reads are served from
    memory (each process switches to the next key on its own at ``activates_at``); the set is
    reloaded after a rotation (announced to every process through ``notifier``), on an unknown
    ``kid`` and every ``reload_seconds``.
    """

    def __init__(self, session_factory: Callable[[], Session], fallback: KeyStore, *,
                 grace: timedelta, reload_seconds: float = 60.0,
                 publish_lead: timedelta | None = None) -> None:
        self._session_factory = session_factory
        self._fallback = fallback
        self.grace = grace
        # A process that missed the Redis signal serves the new key set at its next periodic
        # reload; relying parties may then cache that set for JWKS_MAX_AGE more.
        self.publish_lead = publish_lead if publish_lead is not None else \
            JWKS_MAX_AGE + timedelta(seconds=reload_seconds)
        self.notifier: ChangeNotifier = LocalOnly()
        self._reload_seconds = reload_seconds
        self._lock = threading.Lock()
        #: (signs from, signs until or None, key), oldest first
        self._timeline: list[tuple[float, float | None, RSAKey]] = []
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
            rows = repo.live_signing_keys(session, now)
        with self._lock:
            self._loaded_at = time.monotonic()
            if not rows:
                self._timeline = []
                self._set = self._fallback.key_set()
            else:
                keys = [RSAKey.import_key(r.private_jwk) for r in rows]
                self._timeline = sorted(
                    ((_activation(r).timestamp(), r.retired_at.timestamp() if r.retired_at else None,
                      k) for k, r in zip(keys, rows, strict=True)), key=lambda entry: entry[0])
                self._set = KeySet(keys)  # type: ignore[arg-type]
            self._kids = frozenset(k.kid for k in self._set.keys if k.kid)
            self._public = {str(k.kid): _public_key(k) for k in self._set.keys
                            if k.kid and isinstance(k, RSAKey)}

    def changed(self) -> None:
        """A rotation committed here: reload now and tell the other processes to do the same."""
        self.reload()
        self.notifier.publish()

    def _maybe_reload(self) -> None:
        if time.monotonic() - self._loaded_at > self._reload_seconds:
            self.reload()

    def signing_key(self) -> RSAKey:
        """The key new tokens are signed with: the newest one whose activation time has come."""
        self._maybe_reload()
        timeline = self._timeline
        if not timeline:
            return self._fallback.signing_key()
        now = time.time()
        live = [key for start, end, key in timeline if start <= now and (end is None or end > now)]
        if live:
            return live[-1]
        started = [key for start, _end, key in timeline if start <= now]
        return started[-1] if started else timeline[0][2]

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

    def rotate(self, session: Session, now: datetime | None = None, *,
               immediately: bool = False) -> str:
        """Publish a fresh key that signs from ``now + publish_lead``; the key signing until then
        stops at that moment and verifies for ``grace`` more. Returns the new kid.

        A key already waiting to sign keeps its turn and the new one queues one lead behind it.
        ``immediately`` (after a key leak) signs with the new key at once and drops waiting keys;
        relying parties then fetch the JWKS on the unknown ``kid``. The caller commits, then calls
        :meth:`changed` (e.g. via ``after_commit``)."""
        now = now or utcnow()
        rows = list(repo.signing_keys(session))
        if not rows:
            # First rotation: the bootstrap key becomes a database key, so the tokens it signed
            # keep verifying in every process until they expire.
            boot = self._fallback.signing_key()
            boot_row = SigningKey(kid=boot.kid or new_id("k"),
                                  private_jwk=dict(boot.as_dict(private=True)), created_at=now,
                                  activates_at=now)
            repo.add(session, boot_row)
            rows = [boot_row]
        pending = [r for r in rows if _activation(r) > now]
        if immediately:
            for row in pending:  # published, never signed: nothing to keep verifying
                repo.remove(session, row)
            starts = now
        else:
            starts = max([now + self.publish_lead,
                          *(_activation(r) + self.publish_lead for r in pending)])
        for row in rows:
            if (row.retired_at is None or row.retired_at > starts) \
                    and not (immediately and row in pending):
                row.retired_at = starts
                row.expires_at = starts + self.grace
        key = RSAKey.generate_key(2048, parameters={"kid": new_id("k"), "use": "sig",
                                                    "alg": "RS256"}, private=True)
        repo.add(session, SigningKey(kid=str(key.kid), private_jwk=dict(key.as_dict(private=True)),
                                     created_at=now, activates_at=starts))
        session.flush()
        return str(key.kid)

    def describe(self, session: Session) -> list[dict[str, object]]:
        """Every stored key with its state (no private material): ``next`` (published, signs
        from ``activates_at``), ``signing``, ``verifying`` (retired, until ``expires_at``) or
        ``expired``."""
        rows = repo.signing_keys(session)
        now = utcnow()
        out: list[dict[str, object]] = []
        for r in rows:
            activates = _activation(r)
            if activates > now:
                state = "next"
            elif r.retired_at is None or r.retired_at > now:
                state = "signing"
            else:
                state = "verifying" if r.expires_at and r.expires_at > now else "expired"
            out.append({"kid": r.kid, "state": state, "created_at": r.created_at,
                        "activates_at": activates, "retired_at": r.retired_at,
                        "expires_at": r.expires_at})
        return out


def _activation(row: SigningKey) -> datetime:
    """When a key starts signing (keys from before key states sign from their creation)."""
    return row.activates_at or row.created_at


def _public_key(key: RSAKey) -> RSAPublicKey:
    loaded = load_pem_public_key(key.as_pem(private=False))
    assert isinstance(loaded, RSAPublicKey)
    return loaded
