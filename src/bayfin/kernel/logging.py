"""Structured JSON logs with personal data masked before anything is written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

# Order matters: longer digit runs (ID numbers, card numbers) before phone numbers.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Resident identity card number (居民身份证号): 6-digit area, 8-digit birth date, 3 digits, check.
    (re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])"), r"\1********\2"),
    # Bank card / account / token numbers: 13-19 digits, keep first 6 and last 4 (PCI DSS style).
    # Bounded by letters too, so that a unified social credit code of 17 digits and a letter stays.
    (re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{3,9}(\d{4})(?![0-9A-Za-z])"), r"\1******\2"),
    # Mainland mobile numbers.
    (re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)"), r"\1****\2"),
    (re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})"), r"\1***@\2"),
]
_SECRET_KEYS = re.compile(r"(password|secret|token|authorization|api[_-]?key|cookie)", re.I)


def mask(text: str) -> str:
    """Mask identity-card, bank-card, phone numbers and e-mail addresses in free text."""
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def _clean(value: Any, key: str = "") -> Any:
    if key and _SECRET_KEYS.search(key):
        return "[redacted]"
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _clean(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


_STD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
#: Returns the current trace and span ids (empty when no span is active); set by the tracing set-up
#: (kernel/observability.py) only when tracing is on, so logging costs nothing more when it is off.
_trace_context: Callable[[], dict[str, str]] | None = None


def set_trace_context(provider: Callable[[], dict[str, str]] | None) -> None:
    """Install (or remove, with None) what adds ``trace_id`` and ``span_id`` to each JSON log line."""
    global _trace_context
    _trace_context = provider


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields, masked."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as masked JSON."""
        body: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask(record.getMessage()),
        }
        if _trace_context is not None:
            body.update(_trace_context())
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                body[key] = _clean(value, key)
        if record.exc_info:
            body["exc"] = mask(self.formatException(record.exc_info))
        return orjson.dumps(body, default=str).decode()


class MaskingTextFormatter(logging.Formatter):
    """Human-readable lines for development, masked all the same."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as masked text."""
        return mask(super().format(record))


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """Install the masking formatter on the root logger (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else
                         MaskingTextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_bayfin", False):
            root.removeHandler(old)
    handler._bayfin = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
