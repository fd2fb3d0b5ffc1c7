"""The ``bayfin identity`` commands against a migrated SQLite database."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from bayfin import migrations
from bayfin.cli.main import app
from bayfin.kernel.db import make_engine
from bayfin.kernel.settings import get_settings


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("BAYFIN_DATABASE_URL", url)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _json(runner, *args):
    result = runner.invoke(app, ["identity", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_cli_manages_orgs_users_apps_roles_and_keys(cli_env):
    runner = cli_env
    assert _json(runner, "orgs", "create", "BANK-B", "Bank B", "--type", "institution")["code"] == "BANK-B"
    branch = _json(runner, "orgs", "create", "BANK-B-SZ", "Bank B Shenzhen", "--type", "institution",
                   "--parent", "BANK-B")
    assert branch["parent_id"]
    assert _json(runner, "users", "create", "Dan", "--name", "Dan Wu", "--org", "BANK-B")["username"] == "dan"
    created = _json(runner, "apps", "create", "loan-desk", "--name", "Loan desk",
                    "--redirect-uri", "https://loans.example/cb", "--scope", "openid",
                    "--scope", "loans:read")
    assert created["client_secret"]
    assert _json(runner, "roles", "create", "officer", "--app", "loan-desk",
                 "--permission", "loans:read")["permissions"] == ["loans:read"]
    assigned = runner.invoke(app, ["identity", "roles", "assign", "dan", "officer", "--app", "loan-desk"])
    assert assigned.exit_code == 0
    invitation = _json(runner, "users", "invite", "dan")
    assert "/oauth2/set-password?token=" in invitation["url"] and invitation["user"] == "dan"
    assert _json(runner, "users", "disable", "dan")["active"] is False
    assert [u["username"] for u in _json(runner, "users", "list", "--org", "BANK-B")] == ["dan"]
    published = _json(runner, "keys", "rotate")
    assert published["state"] == "next"  # in the JWKS first; it signs after the cache lifetime
    kid = _json(runner, "keys", "rotate", "--immediately")["kid"]
    states = {k["kid"]: k["state"] for k in _json(runner, "keys", "list")}
    assert states[kid] == "signing" and list(states.values()).count("verifying") == 1
    assert published["kid"] not in states
    assert set(_json(runner, "maintenance", "purge")) >= {"refresh_tokens", "revocations", "sessions"}
    dup = runner.invoke(app, ["identity", "users", "create", "dan"])
    assert dup.exit_code == 1 and "taken" in dup.output


def test_db_upgrade_works_on_a_database_without_the_identity_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYFIN_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert re.search(r"identity_\d{4}", result.output)


def test_the_cli_updates_rotates_disables_and_deletes_an_app(cli_env):
    runner = cli_env
    created = _json(runner, "apps", "create", "ledger", "--name", "Ledger",
                    "--redirect-uri", "https://ledger.example/cb", "--scope", "openid")
    updated = _json(runner, "apps", "update", "ledger", "--redirect-uri", "https://ledger.example/v2",
                    "--scope", "openid", "--scope", "profile")
    assert updated["redirect_uris"] == ["https://ledger.example/v2"]
    assert updated["scopes"] == ["openid", "profile"]
    rotated = _json(runner, "apps", "rotate-secret", "ledger", "--grace", "600")
    assert rotated["client_secret"] != created["client_secret"]
    assert rotated["previous_secret_valid_until"]
    assert _json(runner, "apps", "disable", "ledger")["active"] is False
    assert _json(runner, "apps", "enable", "ledger")["active"] is True
    bad = runner.invoke(app, ["identity", "apps", "update", "ledger", "--redirect-uri", "http://x.example/"])
    assert bad.exit_code == 1 and "https" in bad.output
    assert runner.invoke(app, ["identity", "apps", "delete", "ledger", "--yes"]).exit_code == 0
    assert "ledger" not in {a["client_id"] for a in _json(runner, "apps", "list")}
    gone = runner.invoke(app, ["identity", "apps", "disable", "ledger"])
    assert gone.exit_code == 1 and "no such app" in gone.output
