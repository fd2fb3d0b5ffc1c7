"""The shared webhook dispatcher over the requestors' outbox in its production mode: deliveries on its
own thread pool after commit, each from its own session on a real database file, signed in the
Standard Webhooks format, and recorded in the outbox."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bayfin import migrations
from bayfin.integrations.webhook_outbox import WebhookDispatcher
from bayfin.integrations.webhooks import verify
from bayfin.kernel.clock import SystemClock
from bayfin.kernel.db import make_engine, make_session_factory
from bayfin.kernel.outbound import OutboundPolicy
from bayfin.tokens.models import Requestor, Webhook
from bayfin.tokens.webhooks import RequestorOutbox

SECRET = b"s" * 32
LOCAL = OutboundPolicy(require_https=False, allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),))


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'hooks.db'}")
    migrations.upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def inbox() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append((dict(self.headers.items()), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    server.shutdown()
    server.server_close()


def test_background_delivery_signs_posts_and_marks_each_row_delivered(
        sessions: sessionmaker[Session], inbox: tuple[str, list[tuple[dict[str, str], bytes]]]) -> None:
    url, received = inbox
    now = datetime.now(UTC)
    with sessions() as session:
        session.add(Requestor(id="12345678901", name="W", kind="wallet", client_id="w", merchants=[],
                              channels=[], webhook_url=url, active=True, created_at=now))
        session.add_all([Webhook(id=f"whk_{i}", requestor_id="12345678901", token_id="tok_1",
                                 event="token.active", payload={"state": "active"}, state="pending",
                                 attempts=0, next_attempt_at=now, created_at=now) for i in range(3)])
        session.commit()
    dispatcher = WebhookDispatcher(sessions, RequestorOutbox(lambda _rid: SECRET), SystemClock(),
                                   outbound=LOCAL)
    try:
        dispatcher.submit(["whk_0", "whk_1"])
        dispatcher.submit(["whk_2"])
        dispatcher.flush()
    finally:
        dispatcher.close()
    assert len(received) == 3
    for headers, body in received:
        verify(SECRET, headers, body, now=int(time.time()))
    assert sorted(headers["webhook-id"] for headers, _ in received) == ["whk_0", "whk_1", "whk_2"]
    with sessions() as session:
        rows = session.scalars(select(Webhook).order_by(Webhook.id)).all()
        assert [(w.state, w.attempts) for w in rows] == [("delivered", 1)] * 3
