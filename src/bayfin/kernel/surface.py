"""Lazy module surfaces (PEP 562): a package's ``__init__`` names what it exports and where each name lives.

Every business module's ``__init__`` is its surface, the only thing other modules may import. Importing
the surface must stay cheap (``bayfin --version`` loads no module's dependencies) and free of import
circles, so names resolve on first use::

    __getattr__, __dir__ = lazy_surface(__name__, {"ConsentService": ".service", "Purpose": ".domain"})

Static type checkers read the same names from an ``if TYPE_CHECKING:`` block of real imports.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_surface(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of ``package`` for ``exports`` (name -> submodule).

    A submodule may be absolute (``bayfin.creditdata.service``) or relative to the package
    (``.service``). A resolved name is cached on the package, so later reads cost a dict lookup.
    """
    where = dict(exports)

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
