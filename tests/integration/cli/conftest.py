"""An empty database of each kind per test, and a CLI runner configured for it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayfin.kernel.settings import get_settings
from tests.conftest import _postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet (a new folder, or a new PostgreSQL database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'bayfin.db'}"
        return
    gen = _postgres_database(f"bayfin_cli_{os.getpid()}_{uuid.uuid4().hex[:8]}")
    yield next(gen)
    gen.close()


@pytest.fixture
def cli(empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner whose commands use the empty database and a per-test data directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAYFIN_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BAYFIN_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
