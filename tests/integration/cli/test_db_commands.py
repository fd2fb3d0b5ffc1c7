"""``bayfin db``: history, downgrade and upgrade round trips, and the offline SQL a DBA applies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from bayfin import migrations, registry
from bayfin.cli.main import app
from bayfin.kernel.db import Base, make_engine
from bayfin.kernel.settings import get_settings
from tests.conftest import _postgres_database


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables with their columns, keys, indexes and constraints, comparable between databases."""
    found: dict[str, Any] = {}
    insp = inspect(engine)
    for table in sorted(insp.get_table_names()):
        found[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                        for c in insp.get_columns(table)],
            "pk": insp.get_pk_constraint(table),
            "fks": sorted(json.dumps(fk, sort_keys=True, default=str)
                          for fk in insp.get_foreign_keys(table)),
            "indexes": sorted(json.dumps(ix, sort_keys=True, default=str)
                              for ix in insp.get_indexes(table)),
            "unique": sorted(json.dumps(u, sort_keys=True, default=str)
                             for u in insp.get_unique_constraints(table)),
            "checks": sorted(json.dumps(c, sort_keys=True, default=str)
                             for c in insp.get_check_constraints(table)),
        }
    return found


def _matches_the_models(engine: Engine) -> bool:
    registry.load_models()
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata) == []


def test_history_lists_every_module_and_marks_its_head(cli):
    result = cli.invoke(app, ["db", "history", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    heads = {r["revision"] for r in rows if r["head"]}
    assert heads == set(migrations.heads())
    assert {"kernel", "identity", "antifraud", "terminals"} <= {r["module"] for r in rows}
    assert {"revision": "antifraud_0002", "revises": "antifraud_0001"}.items() <= \
        next(r for r in rows if r["revision"] == "antifraud_0002").items()


def test_downgrade_to_base_and_upgrade_again_rebuilds_the_schema(cli, empty_database_url):
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(empty_database_url)
    try:
        before = _schema(engine)
        down = cli.invoke(app, ["db", "downgrade", "base", "--yes"])
        assert down.exit_code == 0, down.output
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert migrations.current(engine) == set()
        assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert _schema(engine) == before
        assert _matches_the_models(engine)
    finally:
        engine.dispose()


def test_downgrade_asks_before_dropping_and_refuses_unknown_revisions(cli, empty_database_url):
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0
    declined = cli.invoke(app, ["db", "downgrade", "base"], input="n\n")
    assert declined.exit_code == 1
    unknown = cli.invoke(app, ["db", "downgrade", "no_such_rev", "--yes"])
    assert unknown.exit_code == 2 and "bayfin db history" in unknown.stderr
    engine = make_engine(empty_database_url)
    try:
        assert migrations.schema_state(engine).up_to_date
    finally:
        engine.dispose()


@pytest.fixture
def offline_runner(monkeypatch):
    """A runner whose configured database does not exist: offline SQL must not need one."""
    monkeypatch.setenv("BAYFIN_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/nowhere")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _apply(sql_file, url: str) -> None:
    """Apply a SQL script the way a DBA would (psql), or through psycopg where psql is absent."""
    psql = shutil.which("psql")
    if psql is not None:
        done = subprocess.run([psql, "-v", "ON_ERROR_STOP=1", "-q", "-f", str(sql_file), url],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql_file.read_text())


def test_offline_sql_names_every_table_and_needs_no_database(offline_runner):
    result = offline_runner.invoke(app, ["db", "upgrade", "--sql"])
    assert result.exit_code == 0, result.output
    sql = result.stdout
    registry.load_models()
    for table in Base.metadata.tables:
        assert f"CREATE TABLE {table} (" in sql, table
    assert sql.strip().endswith("COMMIT;") and "alembic_version" in sql


@pytest.mark.postgres
def test_offline_sql_applied_by_psql_gives_the_online_schema(offline_runner, tmp_path):
    sql_file = tmp_path / "upgrade.sql"
    sql_file.write_text(offline_runner.invoke(app, ["db", "upgrade", "--sql"]).stdout)
    online_db = _postgres_database(f"bayfin_online_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    offline_db = _postgres_database(f"bayfin_offline_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    online_url, offline_url = next(online_db), next(offline_db)
    online, offline = make_engine(online_url), make_engine(offline_url)
    try:
        migrations.upgrade(online)
        _apply(sql_file, offline_url)
        assert _schema(offline) == _schema(online)
        assert migrations.current(offline) == migrations.current(online)
        assert migrations.schema_state(offline).up_to_date
        with offline.connect() as conn:
            assert conn.execute(text("SELECT last_seq FROM audit_head")).scalar_one() == 0
        assert _matches_the_models(offline)
    finally:
        online.dispose()
        offline.dispose()
        online_db.close()
        offline_db.close()
