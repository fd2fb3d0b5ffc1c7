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


def test_entries_pending_when_the_mac_migration_runs_are_adopted_not_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry committed by the previous release and not sealed yet is not lost by the upgrade."""
    from sqlalchemy import text

    from bayfin.kernel.audit import AuditLog, verify_chain

    monkeypatch.setenv("BAYFIN_AUDIT_KEY", "upgrade-test-audit-key-0123456789abcdef")
    get_settings.cache_clear()
    key = get_settings().audit_key.get_secret_value().encode()
    engine = make_engine(f"sqlite:///{tmp_path / 'upgrade.db'}")
    try:
        migrations.upgrade(engine, "kernel_0001")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO audit_log (at, actor, action, subject_type, subject_id, outcome, details) "
                "VALUES ('2026-12-01 08:00:00.000000', 'old-release', 'consent.grant', 'enterprise', "
                "'firm-1', 'ok', '{\"n\": 1}')"))
        migrations.upgrade(engine)
        factory = make_session_factory(engine)
        log = AuditLog(key)
        assert log.seal_all(factory) == 1 and log.refused_total == 0
        with factory() as s:
            assert s.scalars(select(AuditEntry.seq)).all() == [1]
            assert verify_chain(s, key).ok
    finally:
        get_settings.cache_clear()
        engine.dispose()
