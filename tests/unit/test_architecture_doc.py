"""docs/architecture.md's module table is the code's: owner, surface and the surfaces each module uses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "module_table.py"


def _script():  # the script is a tool, not part of the package
    spec = importlib.util.spec_from_file_location("module_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_table_matches_the_code() -> None:
    script = _script()
    doc = script.DOC.read_text(encoding="utf-8")
    assert script.START in doc and script.END in doc, "docs/architecture.md lost its module-table markers"
    assert script.replaced(doc, script.table()) == doc, (
        "docs/architecture.md's module table is stale: run `python scripts/module_table.py --write`")


def test_replacing_keeps_what_surrounds_the_table() -> None:
    script = _script()
    text = f"before\n{script.START}\nold\n{script.END}\nafter\n"
    assert script.replaced(text, "new") == f"before\n{script.START}\nnew\n{script.END}\nafter\n"
