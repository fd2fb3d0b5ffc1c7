"""``bayfin db restore-check``: a PostgreSQL backup restores into a new database and its audit chain
verifies there; a backup whose audit rows were edited does not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.kernel.db import make_engine
from bayfin.kernel.settings import get_settings
from tests.conftest import TEST_AUDIT_KEY, _postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def live_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CliRunner, str]]:
    """A migrated PostgreSQL database holding organizations, users and sealed audit entries."""
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is needed by the restore check (apt-get install postgresql-client)")
    gen = _postgres_database(f"bayfin_restore_{os.getpid()}_{uuid.uuid4().hex[:8]}")
    url = next(gen)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAYFIN_DATABASE_URL", url)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BAYFIN_AUDIT_KEY", TEST_AUDIT_KEY)
    monkeypatch.setenv("BAYFIN_ENVIRONMENT", "test")
    get_settings.cache_clear()
    runner = CliRunner()
    for command in (["db", "upgrade"],
                    ["identity", "orgs", "create", "BANK-B", "Bank B", "--type", "institution"],
                    ["identity", "orgs", "create", "FIRM-1", "Firm One", "--type", "enterprise"],
                    ["identity", "users", "create", "dan", "--name", "Dan Wu", "--org", "BANK-B"],
                    ["identity", "users", "create", "eve", "--name", "Eve Li", "--org", "BANK-B"],
                    ["identity", "users", "disable", "eve"],
                    ["audit", "seal"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, (command, result.output)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE seq IS NOT NULL")).scalar_one() >= 4
    engine.dispose()
    yield runner, url
    get_settings.cache_clear()
    gen.close()


def _restore_databases(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE "
                                          "'%restore_check%'")).scalars())
    finally:
        engine.dispose()


def test_a_fresh_dump_restores_with_the_same_rows_and_an_intact_chain(live_database):
    runner, url = live_database
    result = runner.invoke(app, ["db", "restore-check", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["ok"] and found["audit_ok"] and found["row_mismatches"] == []
    assert found["audit_entries"] >= 4 and found["tables"] > 50
    # The scratch database (named after this test's own database) is dropped; other runs on the
    # same server may have scratch databases of their own meanwhile.
    own = make_url(url).database
    assert own and not [name for name in _restore_databases(url) if name.startswith(own[:40])]


def _plain_dump(url: str, path: Path) -> None:
    subprocess.run(["pg_dump", "--format=plain", "--no-owner", f"--file={path}", url], check=True)


def _edit_audit_row(dump: Path, seq: int, actor: str) -> None:
    """Change one audit entry's actor in a plain SQL dump's COPY block (a tampered backup)."""
    lines = dump.read_text().split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("COPY public.audit_log "))
    columns = lines[start][lines[start].index("(") + 1:lines[start].index(")")].split(", ")
    for i in range(start + 1, len(lines)):
        if lines[i] == "\\.":
            raise AssertionError(f"no audit entry with seq {seq}")
        values = lines[i].split("\t")
        if values[columns.index("seq")] == str(seq):
            values[columns.index("actor")] = actor
            lines[i] = "\t".join(values)
            break
    dump.write_text("\n".join(lines))


def test_a_backup_file_restores_and_verifies(live_database, tmp_path):
    runner, url = live_database
    dump = tmp_path / "backup.sql"
    _plain_dump(url, dump)
    result = runner.invoke(app, ["db", "restore-check", "--from-dump", str(dump), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["audit_ok"] is True


def test_a_backup_with_an_edited_audit_entry_fails_verification(live_database, tmp_path):
    runner, url = live_database
    dump = tmp_path / "backup.sql"
    _plain_dump(url, dump)
    _edit_audit_row(dump, seq=2, actor="mallory")
    result = runner.invoke(app, ["db", "restore-check", "--from-dump", str(dump), "--json"])
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert found["ok"] is False and found["audit_ok"] is False and found["audit_problems"]
    table = runner.invoke(app, ["db", "restore-check", "--from-dump", str(dump)])
    assert table.exit_code == 1 and "audit chain BROKEN" in table.output


def test_restore_check_refuses_sqlite_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYFIN_DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["db", "restore-check"])
    get_settings.cache_clear()
    assert result.exit_code == 1 and "needs PostgreSQL" in result.stderr
