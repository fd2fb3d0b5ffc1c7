"""Shared fixtures: databases on SQLite *and* PostgreSQL, per-test rollback, the app, tokens."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from bayfin import migrations
from bayfin.api.app import create_app
from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import SystemClock
from bayfin.kernel.db import make_engine
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import FileKeyStore, JwtTokens, Principal
from bayfin.kernel.settings import Settings
from tests.services import require_service

TEST_AUDIT_KEY = "test-audit-key-0123456789abcdef0123456789"


def _postgres_database(tmp_name: str) -> Iterator[str]:
    admin_url = require_service("postgres")
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{tmp_name}"'))
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{tmp_name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{tmp_name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database of each kind, shared by the session's tests."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "bayfin.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        migrations.upgrade(engine)
        engine.dispose()
        yield url
        return
    name = f"bayfin_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    gen = _postgres_database(name)
    url = next(gen)
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    yield url
    gen.close()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The engine for the session's database."""
    eng = make_engine(database_url, pool_size=5)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions bound to one connection whose outer transaction is rolled back after the test, so
    commits inside the code under test become savepoints and nothing leaks between tests."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, expire_on_commit=False, autoflush=False,
                           join_transaction_mode="create_savepoint")
    yield factory
    outer.rollback()
    connection.close()


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session inside the test's rolled-back transaction."""
    with session_factory() as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Test settings pointing at the session's database and a per-test data directory."""
    return Settings(environment="test", data_dir=tmp_path, database_url=database_url,
                    audit_key=TEST_AUDIT_KEY, log_json=True, log_level="WARNING",
                    audit_seal_interval=0,
                    webhook_allowed_networks=["127.0.0.0/8"])  # tests' receivers listen on loopback


@pytest.fixture(scope="session")
def key_store(tmp_path_factory: pytest.TempPathFactory) -> FileKeyStore:
    """One signing key set for the whole run (RSA generation is slow)."""
    return FileKeyStore(tmp_path_factory.mktemp("keys") / "jwks.json")


@pytest.fixture
def platform(settings: Settings, engine: Engine, session_factory: sessionmaker[Session],
             key_store: FileKeyStore) -> Iterator[Platform]:
    """The platform wired to the test's rolled-back connection."""
    from bayfin import registry

    tokens = JwtTokens(key_store, settings.issuer, settings.access_token_ttl_seconds)
    plat = Platform(settings=settings, engine=engine, session_factory=session_factory,
                    audit=AuditLog(TEST_AUDIT_KEY.encode()), tokens=tokens, clock=SystemClock(),
                    token_verifier=tokens)
    registry.configure_modules(plat)
    yield plat
    plat.close_services()


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    """An HTTP client for the app running on the test platform."""
    with TestClient(create_app(platform=platform), raise_server_exceptions=False) as c:
        yield c


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture
def auth_headers(platform: Platform) -> TokenFactory:
    """Build Authorization headers for a principal: ``auth_headers(roles=["operator"], scopes=[...])``."""

    def make(subject: str = "user-1", *, org: str | None = "org-1", org_type: str | None = "operator",
             roles: list[str] | tuple[str, ...] = (), scopes: list[str] | tuple[str, ...] = (),
             acr: str | None = None, client_id: str | None = None,
             amr: tuple[str, ...] = (), auth_time: int | None = None) -> dict[str, str]:
        # An access token for this API (typ at+jwt, aud the platform's), as the identity
        # platform issues them; amr/auth_time for routes that want a recent or a strong sign-in.
        token = platform.tokens.issue(Principal(subject=subject, organization_id=org,
                                                organization_type=org_type, roles=frozenset(roles),
                                                scopes=frozenset(scopes), acr=acr,
                                                client_id=client_id, amr=amr, auth_time=auth_time))
        return {"Authorization": f"Bearer {token}"}

    return make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    """In CI (BAYFIN_REQUIRE_SERVICES=1) a skipped test is a failed run: whatever it needed — a
    service, a Debian package, an optional library — the CI machine must have, or the gap stays hidden."""
    skipped = terminalreporter.stats.get("skipped", [])
    if os.environ.get("BAYFIN_REQUIRE_SERVICES") == "1" and skipped:
        terminalreporter.section("skips are failures in CI", sep="=", red=True, bold=True)
        for report in skipped:
            terminalreporter.line(f"{report.nodeid}: {report.longrepr}")
        terminalreporter._session.exitstatus = pytest.ExitCode.TESTS_FAILED  # type: ignore[attr-defined]
