"""/readyz: every configured dependency answers, or a 503 problem naming what is down."""

import socket
import threading

import pytest
from fastapi.testclient import TestClient

from bayfin.api.app import create_app
from bayfin.kernel.db import make_engine
from bayfin.kernel.observability import configured_checks, run_checks
from tests.services import require_service


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_with(platform, **settings):
    platform.settings = platform.settings.model_copy(update=settings)
    return TestClient(create_app(platform=platform), raise_server_exceptions=False)


def test_readiness_with_only_a_database_checks_only_the_database(platform):
    with app_with(platform) as client:
        r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["down"] == []
    assert set(body["checks"]) == {"database"} and body["checks"]["database"]["status"] == "up"


@pytest.mark.redis
@pytest.mark.nats
@pytest.mark.mqtt
def test_readiness_checks_every_configured_service_and_answers_200_when_all_are_up(platform):
    urls = {name: require_service(name) for name in ("redis", "nats", "mqtt")}
    # a generous timeout: this test is about what is checked, and CI machines can be slow
    with app_with(platform, redis_url=urls["redis"], nats_url=urls["nats"], mqtt_url=urls["mqtt"],
                  readiness_timeout=15.0) as client:
        r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert {k: v["status"] for k, v in r.json()["checks"].items()} == {
        "database": "up", "redis": "up", "nats": "up", "mqtt": "up"}


def test_a_service_on_a_closed_port_makes_the_api_not_ready_and_is_named(platform):
    with app_with(platform, redis_url=f"redis://127.0.0.1:{closed_port()}/0",
                  nats_url=f"nats://127.0.0.1:{closed_port()}") as client:
        r = client.get("/readyz")
        live = client.get("/healthz")
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "not_ready" and problem["status"] == 503
    assert sorted(problem["down"]) == ["nats", "redis"]
    assert "redis" in problem["detail"] and "nats" in problem["detail"]
    assert problem["checks"]["database"]["status"] == "up"
    assert problem["checks"]["redis"]["status"] == "down" and problem["checks"]["redis"]["error"]
    assert live.status_code == 200  # liveness does not depend on anything else


@pytest.mark.redis
def test_a_url_pointing_at_the_wrong_kind_of_server_is_not_mistaken_for_the_service(platform):
    redis_url = require_service("redis")
    redis_port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    with app_with(platform, nats_url=f"nats://127.0.0.1:{redis_port}",
                  mqtt_url=f"mqtt://127.0.0.1:{redis_port}", readiness_timeout=1.0) as client:
        r = client.get("/readyz")
    assert r.status_code == 503
    assert sorted(r.json()["down"]) == ["mqtt", "nats"]


def test_a_secret_in_a_service_url_never_appears_in_the_answer(platform):
    with app_with(platform, redis_url=f"redis://admin:s3cret-pass@127.0.0.1:{closed_port()}/0") as client:
        r = client.get("/readyz")
    assert r.status_code == 503 and "s3cret-pass" not in r.text and "admin" not in r.text


def test_a_server_that_accepts_and_never_answers_times_out_without_piling_up_checks():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # accept, then stay silent
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    try:
        from bayfin.kernel.settings import Settings

        url = f"nats://127.0.0.1:{listener.getsockname()[1]}"
        engine = make_engine("sqlite://")
        checks = configured_checks(Settings(environment="test", nats_url=url), engine)
        results = {r.name: r for r in run_checks(checks, 0.3)}
        assert results["database"].up
        assert not results["nats"].up
        engine.dispose()
    finally:
        stop.set()
        listener.close()
        for conn in accepted:
            conn.close()


def test_an_unreachable_database_is_reported_down():
    from bayfin.kernel.settings import Settings

    engine = make_engine(f"postgresql://nobody@127.0.0.1:{closed_port()}/none")
    results = run_checks(configured_checks(Settings(environment="test"), engine), 2.0)
    assert [(r.name, r.up) for r in results] == [("database", False)]
    assert results[0].error and "nobody" not in results[0].error
    engine.dispose()
