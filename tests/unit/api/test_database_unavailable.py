"""A database that cannot take a request now (locked, deadlock victim, unreachable) is a 503 the client
may retry, in problem+json with Retry-After; never a 500."""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from bayfin.api.problems import install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/deposit")
    def deposit() -> None:
        raise OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    return app


def test_a_locked_database_is_a_503_to_retry():
    r = TestClient(_app(), raise_server_exceptions=False).post("/deposit")
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "database_unavailable" and "database is locked" not in r.text


def test_any_other_failure_stays_a_500():
    r = TestClient(_app(), raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500 and r.json()["code"] == "internal"
