import contextlib
import socket
import threading
import uuid
from urllib.parse import urlparse

import pytest
import redis

from bayfin.antifraud.engine.degraded import DegradedPolicy, FallbackStateStore
from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.ruleset import Outcome, RuleRegistry, load_ruleset
from bayfin.integrations.redis_fraud_state import RedisStateStore
from tests.antifraud_events import event
from tests.services import require_service


class Proxy:
    """A TCP relay to Redis that the test can cut, as if the server had stopped."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.links: list[socket.socket] = []
        self.up = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.up:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.links += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def stop(self):
        self.up = False
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close alone would not
        self.server.close()
        for s in self.links:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.fixture
def relay():
    url = urlparse(require_service("redis"))
    proxy = Proxy(url.hostname or "127.0.0.1", url.port or 6379)
    yield proxy
    proxy.stop()


def _engine(tmp_path, store, policy):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "ruleset.yaml").write_text(
        "name: t\nversion: '1'\nthresholds: {challenge: 30, review: 60, block: 90}\n")
    (rules / "t.yaml").write_text("typology: t\nrules:\n"
                                  "  - {id: BIG, when: 'amount_yuan >= 10000', score: 60, reason: BIG}\n")
    return DecisionEngine(RuleRegistry(load_ruleset(rules), rules), store=store, degraded_policy=policy)


def test_when_redis_stops_mid_run_decisions_go_on_degraded_and_fail_closed_channels_hold(tmp_path, relay):
    client = redis.Redis(host="127.0.0.1", port=relay.port, socket_timeout=0.5, socket_connect_timeout=0.5)
    shared = RedisStateStore(client, prefix=f"test:{uuid.uuid4().hex}:")
    store = FallbackStateStore(shared, retry_seconds=60)
    engine = _engine(tmp_path, store, DegradedPolicy(fail_closed=frozenset({"online"})))
    before = engine.decide(event(1))
    assert not before.degraded and before.outcome is Outcome.ALLOW
    relay.stop()  # Redis is now unreachable from this engine
    mobile = engine.decide(event(2, minutes=1))
    online = engine.decide(event(3, minutes=2, channel="online", type="online.transfer.inter_bank"))
    big = engine.decide(event(4, minutes=3, amount_fen=2_000_000))
    assert mobile.degraded and mobile.outcome is Outcome.ALLOW  # mobile fails open
    assert online.degraded and online.outcome is Outcome.REVIEW and "DEGRADED_HOLD" in online.reason_codes
    assert big.degraded and big.outcome is Outcome.REVIEW and "BIG" in big.reason_codes  # rules still decide
    assert store.failures == 1  # the circuit breaker stops retrying the dead server on every event
    assert engine.decide(event(5, minutes=4)).features["cust_known"]  # local history builds up meanwhile
