"""The demo seeds the marketplace through the real service (every state, some banks past the
window), and ``bayfin financing …`` shows it: products, demands, match, applications, stats, sweep."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

import pytest
from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.financing.domain import ApplicationState
from bayfin.kernel.settings import get_settings


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("financing-demo")
    mp = pytest.MonkeyPatch()
    mp.setenv("BAYFIN_DATA_DIR", str(root))
    mp.delenv("BAYFIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["demo", "run", "--enterprises", "150", "--no-serve"])
    assert result.exit_code == 0, result.output
    yield root
    mp.undo()
    get_settings.cache_clear()


def _json(*args):
    result = CliRunner().invoke(app, ["financing", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_demo_puts_applications_in_every_state_and_flags_banks_past_the_window(demo_dir):
    applications = _json("applications", "--limit", "500")
    states = Counter(a["state"] for a in applications)
    assert set(states) == {s.value for s in ApplicationState}
    windows = Counter(a["window_status"] for a in applications)
    assert windows["breached"] >= 1 and windows["on_time"] + windows["due_soon"] >= 1
    db = sqlite3.connect(demo_dir / "bayfin.db")
    alerts = db.execute("select count(*) from financing_alerts").fetchone()[0]
    consents = db.execute("select count(*) from consent where purpose_code = '101'").fetchone()[0]
    db.close()
    assert alerts == windows["breached"]
    assert consents == len(applications)  # each application asked its bank's consent
    assert _json("sweep") == []  # the seeder already swept: nothing is flagged twice


def test_the_cli_lists_products_demands_matches_and_one_banks_queue(demo_dir):
    products = _json("products")
    assert len(products) == 8 and all(p["active"] for p in products)
    demands = _json("demands")
    assert demands and {d["status"] for d in demands} == {"open", "closed"}
    matched = _json("match", demands[0]["id"], "--top", "3")
    assert matched["demand_id"] == demands[0]["id"] and len(matched["matches"]) <= 6
    queue = _json("applications", "--institution", "BANK-GD")
    assert queue and {a["institution_id"] for a in queue} == {"BANK-GD"}


def test_the_cli_statistics_add_up_and_tables_render(demo_dir):
    stats = _json("stats")
    assert stats["financings"] == sum(row["financings"] for row in stats["by_city"])
    assert stats["financed_amount_fen"] == sum(row["amount_fen"] for row in stats["by_institution"])
    table = CliRunner().invoke(app, ["financing", "stats"])
    assert table.exit_code == 0 and "financings by product type" in table.output
    missing = CliRunner().invoke(app, ["financing", "match", "dmd_missing"])
    assert missing.exit_code == 2 and "no such demand" in missing.output
