"""The list of business modules and the hooks through which the API, CLI and migrations find them.

A module ``bayfin.<name>`` may provide any of: ``models`` (tables, imported so the metadata knows
them), ``endpoints.router`` (an APIRouter), ``cli.app`` (a Typer app mounted as
``bayfin <cli name>``: ``CLI_NAMES`` below, defaulting to the module name; the CLI imports it only
when that command runs), ``endpoints.error_formats`` (an API answering errors in its own format),
``wiring.configure(platform)``
(start-up wiring), ``wiring.SETTINGS`` (the module's own settings class) and
``demo.seed_demo(platform, workdir, seed)`` (what the demo loads).
Adding a module is one line here.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayfin.kernel.platform import Platform

MODULES: tuple[str, ...] = (
    "identity",
    "creditdata",
    "demo",
    "consent",
    "creditreport",
    "antifraud",
    "sscard",
    "supplychain",
    "voice",
    "riskmonitor",
    "scoring",
    "financing",
    "terminals",
    "tokens",
    "web",
)

#: The command a module's CLI is mounted under when it is not the module's name (``bayfin fraud``).
#: Listed here rather than read from the module so that ``bayfin --version`` imports no module.
CLI_NAMES: dict[str, str] = {
    "antifraud": "fraud",
    "creditdata": "hub",
    "creditreport": "monitoring",
    "riskmonitor": "risk",
    "supplychain": "graph",
}


def _optional(name: str) -> ModuleType | None:
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name) if spec else None


def load_models() -> None:
    """Import every table definition so ``Base.metadata`` is complete."""
    importlib.import_module("bayfin.kernel.audit")
    for module in MODULES:
        _optional(f"bayfin.{module}.models")


def _each(submodule: str, attribute: str) -> list[Any]:
    """``bayfin.<module>.<submodule>.<attribute>`` of every module that has it, in module order."""
    found = []
    for module in MODULES:
        loaded = _optional(f"bayfin.{module}.{submodule}")
        if loaded is not None and hasattr(loaded, attribute):
            found.append(getattr(loaded, attribute))
    return found


def routers() -> list[Any]:
    """Each module's API router, in module order."""
    return _each("endpoints", "router")


def error_formats() -> list[Any]:
    """Each module's ``endpoints.error_formats``: (path prefix, renderer, media type) for an API
    that answers errors in its own format instead of problem+json (SCIM under ``/scim/v2``)."""
    return [fmt for formats in _each("endpoints", "error_formats") for fmt in formats]


def cli_modules() -> list[tuple[str, str]]:
    """Each module's command name and the import path of its ``cli`` (a Typer ``app``), without
    importing it: the root command imports a module's CLI only when that command runs."""
    here = Path(__file__).parent
    return [(CLI_NAMES.get(module, module), f"bayfin.{module}.cli") for module in MODULES
            if (here / module / "cli.py").is_file()]


def module_settings_by_module() -> list[tuple[str, Any]]:
    """(module name, settings class) for each module with ``wiring.SETTINGS``, in module order."""
    found = []
    for module in MODULES:
        wiring = _optional(f"bayfin.{module}.wiring")
        if wiring is not None and hasattr(wiring, "SETTINGS"):
            found.append((module, wiring.SETTINGS))
    return found


def module_settings() -> list[Any]:
    """Each module's own settings class (``wiring.SETTINGS``, a pydantic ``BaseSettings`` read from its
    ``BAYFIN_<MODULE>_*`` variables), for ``bayfin config show`` and the documentation contract."""
    return _each("wiring", "SETTINGS")


def demo_seeders() -> list[Any]:
    """Each module's ``demo.seed_demo(platform, workdir, seed)``: what ``bayfin demo run`` loads."""
    return _each("demo", "seed_demo")


def configure_modules(platform: Platform) -> None:
    """Run each module's start-up wiring."""
    for module in MODULES:
        wiring = _optional(f"bayfin.{module}.wiring")
        if wiring is not None and hasattr(wiring, "configure"):
            wiring.configure(platform)
