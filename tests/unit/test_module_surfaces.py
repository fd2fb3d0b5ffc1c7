"""Every module's surface (its package ``__init__``) resolves each name it exports, so a surface that lists
a name its submodules no longer define fails here, not in another module at run time; and importing a
business module's surface loads none of its submodules (the surfaces resolve lazily)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import bayfin
from bayfin.registry import MODULES

PACKAGES = sorted(
    m.name for m in pkgutil.iter_modules(bayfin.__path__, "bayfin.")
    if m.ispkg and m.name != "bayfin.migrations"
)
SURFACES = tuple(f"bayfin.{m}" for m in MODULES if m != "demo")  # demo re-exports the generators


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_resolves(name: str) -> None:
    package = importlib.import_module(name)
    exported = getattr(package, "__all__", [])
    missing = [n for n in exported if not hasattr(package, n)]
    assert not missing, f"{name} exports names it does not define: {missing}"
    assert set(exported) <= set(dir(package))


def test_importing_the_surfaces_loads_no_submodule() -> None:
    code = ("import sys, " + ", ".join(SURFACES) + "\n"
            "print(sorted(m for m in sys.modules if m.startswith(" + repr(tuple(s + "." for s in SURFACES))
            + ")))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
