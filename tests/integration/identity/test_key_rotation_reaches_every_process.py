"""A signing-key rotation in one API process reaches another through Redis, on both databases:
the next key appears in the other's JWKS, and an immediate rotation moves its signing key."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from bayfin.identity.core.keys import DatabaseKeyStore
from bayfin.identity.core.models import SigningKey
from bayfin.identity.core.verifier import IdentityTokenVerifier, RevocationList
from bayfin.integrations.redis_notifier import RedisNotifier
from bayfin.kernel.db import make_engine, make_session_factory
from bayfin.kernel.security import JwtTokens, Principal
from tests.services import require_service

ISSUER = "http://127.0.0.1:8000"


def _within_two_seconds(check) -> bool:
    """Poll ``check`` for the two seconds a rotation may take to reach another process."""
    deadline = time.monotonic() + 2.0
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.redis
def test_a_rotation_reaches_another_processes_verifier_within_two_seconds(database_url, key_store):
    url = require_service("redis")
    # Real commits (the processes share only the database and Redis), so a private engine, and
    # the key table is left empty again for the other tests.
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(SigningKey)) == 0
    channel = f"bayfin:test:keys:{uuid.uuid4().hex}"
    grace = timedelta(minutes=20)
    # The periodic reload is an hour away: only the notification can bring the news.
    here = DatabaseKeyStore(factory, key_store, grace=grace, reload_seconds=3600)
    there = DatabaseKeyStore(factory, key_store, grace=grace, reload_seconds=3600)
    here.notifier = RedisNotifier(url, here.reload, channel=channel)
    there.notifier = RedisNotifier(url, there.reload, channel=channel)
    verifiers = [IdentityTokenVerifier(JwtTokens(k, ISSUER), k, RevocationList(factory, 3600))
                 for k in (here, there)]
    try:
        time.sleep(0.2)  # both subscribed
        with factory() as s:
            next_kid = here.rotate(s)
            s.commit()
        here.changed()
        assert _within_two_seconds(lambda: next_kid in {k["kid"] for k in there.public_jwks()["keys"]})
        assert there.signing_key().kid != next_kid  # published first, signing later
        with factory() as s:
            now_kid = here.rotate(s, immediately=True)
            s.commit()
        here.changed()
        assert _within_two_seconds(lambda: there.signing_key().kid == now_kid)
        token = JwtTokens(there, ISSUER).issue(Principal(subject="u1"))
        assert all(v.verify(token).subject == "u1" for v in verifiers)
    finally:
        here.notifier.close()
        there.notifier.close()
        with factory() as s:
            s.execute(delete(SigningKey))
            s.commit()
        engine.dispose()
