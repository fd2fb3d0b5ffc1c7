"""``bayfin graph …`` end to end on a fresh SQLite data directory with a small generated region."""

import json

import orjson
import pytest
from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.kernel.settings import get_settings


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAYFIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args))

    assert invoke("db", "upgrade").exit_code == 0
    yield invoke
    get_settings.cache_clear()


def test_generate_build_and_ask_the_graph_from_the_command_line(cli, tmp_path):
    region = tmp_path / "region"
    assert cli("graph", "generate", str(region), "--enterprises", "600", "--seed", "3").exit_code == 0
    built = cli("graph", "build", str(region), "--json")
    assert built.exit_code == 0, built.output
    summary = json.loads(built.stdout)
    assert summary["reconciles"] is True and summary["edges"] > 0
    assert json.loads(cli("graph", "build", str(region), "--json").stdout)["already_ingested"] == \
        summary["deliveries"]
    truth = orjson.loads((region / "ground_truth" / "graph.json").read_bytes())
    circles = json.loads(cli("graph", "circles", "--json").output)
    assert len(circles) == len(truth["guarantee_circles"])
    core = truth["cores"][0]
    chain = json.loads(cli("graph", "chain", core, "--json").output)
    tier1 = {m["credit_code"] for m in chain["upstream"] if m["tier"] == 1}
    assert tier1 == set(truth["tiers"][core]["upstream"][0])
    offers = json.loads(cli("graph", "offers", core, "--json").output)
    assert offers and all(o["limit_fen"] > 0 for o in offers)
    assert cli("graph", "picture", core, "--out", str(tmp_path / "ego.svg")).exit_code == 0
    assert (tmp_path / "ego.svg").read_text(encoding="utf-8").startswith("<svg")
    assert cli("graph", "chain", "91440000000000000X").exit_code == 1
