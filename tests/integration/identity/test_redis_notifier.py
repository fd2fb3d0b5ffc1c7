"""Two processes' revocation lists kept in step through Redis pub/sub (no waiting for the poll)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from bayfin import migrations
from bayfin.identity.core.verifier import RevocationList, record_revocation
from bayfin.integrations.redis_notifier import RedisNotifier
from bayfin.kernel.clock import utcnow
from bayfin.kernel.db import make_engine, make_session_factory
from tests.services import require_service


@pytest.mark.redis
@pytest.mark.parametrize(("kind", "value", "table"), [("session", "sid-42", "sessions"),
                                                      ("client", "disabled-app", "client_cutoffs")])
def test_a_revocation_in_one_process_reaches_another_through_redis(tmp_path, kind, value, table):
    url = require_service("redis")
    engine = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    migrations.upgrade(engine)
    factory = make_session_factory(engine)
    channel = f"bayfin:test:{uuid.uuid4().hex}"
    here = RevocationList(factory, poll_seconds=3600)
    there = RevocationList(factory, poll_seconds=3600)
    here.notifier = RedisNotifier(url, here.refresh, channel=channel)
    there.notifier = RedisNotifier(url, there.refresh, channel=channel)
    try:
        time.sleep(0.2)  # both subscribed
        now = utcnow()
        with factory() as s:
            record_revocation(s, kind, value, at=now, expires_at=now + timedelta(hours=1))
            s.commit()
        assert value not in getattr(there, table)
        here.changed()
        deadline = time.monotonic() + 5
        while value not in getattr(there, table) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert value in getattr(there, table)
    finally:
        here.notifier.close()
        there.notifier.close()
        engine.dispose()
