"""``bayfin demo run --no-serve`` sets up a fresh data directory end to end, and a rerun changes nothing."""

import sqlite3

from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.kernel.settings import get_settings


def test_demo_run_without_serving_migrates_generates_ingests_and_explains_how_to_get_a_token(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAYFIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "run", "--enterprises", "120", "--no-serve"])
        assert result.exit_code == 0, result.output
        assert "bayfin auth dev-token" in result.output
        assert (tmp_path / "demo" / "manifest.json").is_file()
        db = sqlite3.connect(tmp_path / "bayfin.db")
        batches, stored = db.execute("SELECT count(*), sum(stored) FROM hub_batch").fetchone()
        assert batches > 50 and stored > 1000
        models = tmp_path / "models" / "scoring"
        assert (models / "v1" / "model.json").is_file()  # reports and matches carry a score from the start
        again = CliRunner().invoke(app, ["demo", "run", "--enterprises", "120", "--no-serve"])
        assert again.exit_code == 0, again.output
        assert sorted(p.name for p in models.iterdir()) == ["v1"]  # a rerun keeps the registered model
        assert db.execute("SELECT count(*), sum(stored) FROM hub_batch").fetchone() == (batches, stored)
        assert db.execute(
            "SELECT sum(rows_in) = sum(stored + updated + unchanged + quarantined) FROM hub_batch"
        ).fetchone() == (1,)
        db.close()
    finally:
        get_settings.cache_clear()
