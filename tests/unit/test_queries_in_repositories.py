"""Every query lives in a repository (issue 22). Ruff's banned-api rule (TID251, pyproject.toml) keeps
SQLAlchemy's statement builders there; this test keeps the session's own query and persistence calls
there too: ``session.get/add/delete/execute/scalar/scalars/merge`` appear only in a ``repository.py``
(or ``repository/`` package), the kernel's database helpers and migrations."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "bayfin"
QUERY_CALLS = {"get", "add", "add_all", "delete", "execute", "scalar", "scalars", "merge"}


def _allowed(path: Path) -> bool:
    rel = path.relative_to(SRC)
    return (path.name in {"repository.py", "models.py"} or "repository" in rel.parts[:-1]
            or rel.parts[0] in {"kernel", "migrations"})


def _session_calls(path: Path, root: Path = SRC) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if call and node.func.attr in QUERY_CALLS:
            target = node.func.value
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
            if name == "session" or name.endswith("_session"):
                found.append(f"{path.relative_to(root)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_no_session_query_outside_repositories() -> None:
    paths = [p for p in sorted(SRC.rglob("*.py")) if not _allowed(p)]
    offenders = [hit for path in paths for hit in _session_calls(path)]
    assert not offenders, "queries outside a repository:\n" + "\n".join(offenders)


def test_the_check_sees_session_calls(tmp_path: Path) -> None:
    sample = tmp_path / "service.py"
    sample.write_text("def f(session, uow, d):\n    session.get(A, 1)\n    uow.session.execute(q)\n"
                      "    d.get('k')\n    own_session.add(x)\n")
    assert _session_calls(sample, root=tmp_path) == [
        "service.py:2 session.get()", "service.py:3 session.execute()", "service.py:5 own_session.add()"]
    assert not _allowed(SRC / "consent" / "service.py")
    assert _allowed(SRC / "creditdata" / "repository" / "population.py")
