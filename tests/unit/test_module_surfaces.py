"""Every module's surface (its package ``__init__``) resolves each name it exports: a surface that lists
a name its submodules no longer define fails here, not in another module at run time."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bayfin

PACKAGES = sorted(
    m.name for m in pkgutil.iter_modules(bayfin.__path__, "bayfin.")
    if m.ispkg and m.name != "bayfin.migrations"
)


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_resolves(name: str) -> None:
    package = importlib.import_module(name)
    exported = getattr(package, "__all__", [])
    missing = [n for n in exported if not hasattr(package, n)]
    assert not missing, f"{name} exports names it does not define: {missing}"
    assert set(exported) <= set(dir(package))
