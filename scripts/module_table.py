"""The module table of docs/architecture.md, built from the code: what each module owns (its docstring's
first sentence), its surface (the names its ``__init__`` exports) and which other modules' surfaces it
imports (from the import graph, the same one import-linter checks).

Run ``python scripts/module_table.py --write`` after changing a surface or a module's imports;
``tests/unit/test_architecture_doc.py`` fails while the committed table differs from the code.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

import grimp

from bayfin.registry import MODULES

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
START, END = "<!-- module-table:start -->", "<!-- module-table:end -->"
#: Business modules: the systems of the mission and the console over them (``demo`` is the demo hook's
#: home, not a system).
BUSINESS = tuple(m for m in MODULES if m != "demo")


def _owns(module: str) -> str:
    doc = (importlib.import_module(f"bayfin.{module}").__doc__ or "").strip()
    first = re.split(r"(?<=[.。])\s", " ".join(doc.split()), maxsplit=1)[0]
    return first.rstrip(".。").replace("|", "/")


def _uses(graph: grimp.ImportGraph, module: str) -> list[str]:
    used = set()
    for importer in graph.find_descendants(f"bayfin.{module}") | {f"bayfin.{module}"}:
        for imported in graph.find_modules_directly_imported_by(importer):
            parts = imported.split(".")
            if len(parts) >= 2 and parts[1] in BUSINESS and parts[1] != module:
                used.add(parts[1])
    return sorted(used)


def table() -> str:
    """The table as Markdown."""
    graph = grimp.build_graph("bayfin")
    rows = ["| module | owns | surface (`from bayfin.<module> import …`) | uses the surfaces of |",
            "|---|---|---|---|"]
    for module in BUSINESS:
        surface = sorted(getattr(importlib.import_module(f"bayfin.{module}"), "__all__", []))
        names = ", ".join(f"`{n}`" for n in surface) or "— (nothing: no other module calls it)"
        uses = ", ".join(_uses(graph, module)) or "—"
        rows.append(f"| `{module}` | {_owns(module)} | {names} | {uses} |")
    return "\n".join(rows)


def replaced(text: str, new_table: str) -> str:
    """``text`` with the part between the markers replaced by ``new_table``."""
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n{new_table}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update docs/architecture.md in place")
    args = parser.parse_args()
    new = table()
    if args.write:
        DOC.write_text(replaced(DOC.read_text(encoding="utf-8"), new), encoding="utf-8")
    else:
        sys.stdout.write(new + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
