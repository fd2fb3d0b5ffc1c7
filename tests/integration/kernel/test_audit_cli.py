"""``bayfin audit verify`` only reads: a row forged into the log is reported, not sealed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from bayfin import migrations
from bayfin.cli.main import app
from bayfin.kernel.audit import AuditEntry
from bayfin.kernel.db import make_engine, make_session_factory
from bayfin.kernel.settings import get_settings


def test_audit_verify_reports_a_forged_row_and_leaves_it_unsealed(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    with make_session_factory(engine)() as s:
        s.execute(insert(AuditEntry).values(at=datetime(2026, 12, 1, tzinfo=UTC), actor="x", actor_org=None,
                                            action="consent.grant", subject_type="enterprise",
                                            subject_id="firm", outcome="ok", purpose=None, details={}))
        s.commit()
    monkeypatch.setenv("BAYFIN_DATABASE_URL", url)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["audit", "verify", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["entries"] == 0 and [p["kind"] for p in report["problems"]] == ["forged"]
    with make_session_factory(engine)() as s:
        row = s.scalars(select(AuditEntry)).one()
        assert row.seq is None and row.rejected_at is None  # neither sealed nor touched
    engine.dispose()
