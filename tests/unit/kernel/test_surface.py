"""The lazy surface helper every module's ``__init__`` uses."""

from __future__ import annotations

import sys
import types

import pytest

from bayfin.kernel.surface import lazy_surface


@pytest.fixture
def package(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    pkg = types.ModuleType("fakepkg")
    pkg.__path__ = []  # a package
    sub = types.ModuleType("fakepkg.sub")
    sub.Thing = object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fakepkg", pkg)
    monkeypatch.setitem(sys.modules, "fakepkg.sub", sub)
    pkg.__getattr__, pkg.__dir__ = lazy_surface(  # type: ignore[attr-defined]
        "fakepkg", {"Thing": ".sub", "Missing": "fakepkg.sub"}
    )
    return pkg


def test_resolves_a_relative_name_and_caches_it(package: types.ModuleType) -> None:
    thing = sys.modules["fakepkg.sub"].Thing  # type: ignore[attr-defined]
    assert package.Thing is thing
    assert vars(package)["Thing"] is thing  # cached: the hook is not called again


def test_unknown_name_is_an_attribute_error(package: types.ModuleType) -> None:
    with pytest.raises(AttributeError, match=r"fakepkg.*Nope"):
        package.Nope
    with pytest.raises(AttributeError):
        package.Missing  # exported, but not defined where it says


def test_dir_lists_the_exports(package: types.ModuleType) -> None:
    assert {"Thing", "Missing"} <= set(dir(package))
