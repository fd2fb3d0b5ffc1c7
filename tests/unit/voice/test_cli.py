"""The voice CLI lists the catalogue and plays a confirmation dialogue."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bayfin.voice.cli import app


def test_the_catalogue_lists_over_180_functions_as_json() -> None:
    result = CliRunner().invoke(app, ["intents", "list", "--json"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) >= 180


def test_a_transfer_is_confirmed_before_it_executes() -> None:
    result = CliRunner().invoke(app, ["assistant", "ask", "给张三转账500元", "确认", "--per-intent", "8",
                                      "--json"])
    assert result.exit_code == 0, result.output
    turns = json.loads(result.stdout)
    assert [t["action"] for t in turns] == ["confirm", "execute"]
