"""Each module surface resolves every name it exports, and importing it loads none of its submodules."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

SURFACES = ("bayfin.consent", "bayfin.creditreport", "bayfin.financing", "bayfin.scoring", "bayfin.voice")


@pytest.mark.parametrize("name", SURFACES)
def test_every_exported_name_resolves(name: str) -> None:
    surface = importlib.import_module(name)
    for export in surface.__all__:
        assert getattr(surface, export) is not None, f"{name}.{export}"
    assert set(surface.__all__) <= set(dir(surface))


def test_importing_the_surfaces_loads_no_submodule() -> None:
    code = ("import sys, " + ", ".join(SURFACES) + "\n"
            "print(sorted(m for m in sys.modules if m.startswith(" + repr(tuple(s + "." for s in SURFACES))
            + ")))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
