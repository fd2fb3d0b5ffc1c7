"""Every request body of every route, walked field by field: integers are strict (no ``true``, no
``"12"``) and bounded to what a 64-bit column holds, decimals come only from strings, and floats
are bounded and never money. New routes are covered without anyone adding them here."""

from __future__ import annotations

import types
import typing
from decimal import Decimal

import annotated_types
from fastapi.routing import APIRoute, _iter_routes_with_context
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bayfin.api.app import create_app
from bayfin.kernel.fields import INT64_MAX, INT64_MIN, DecimalText
from bayfin.kernel.settings import Settings

_MONEY_WORDS = ("fen", "amount", "minor", "price", "balance", "rate")


def _bounds(metadata: list[object]) -> tuple[object | None, object | None]:
    low = next((getattr(m, "ge", getattr(m, "gt", None)) for m in metadata
                if isinstance(m, annotated_types.Ge | annotated_types.Gt)), None)
    high = next((getattr(m, "le", getattr(m, "lt", None)) for m in metadata
                 if isinstance(m, annotated_types.Le | annotated_types.Lt)), None)
    return low, high


def _walk(annotation: object, metadata: list[object], label: str, seen: set[type],
          problems: list[str], counted: list[str]) -> None:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        flat = [*metadata]
        for item in extra:
            flat.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        _walk(base, flat, label, seen, problems, counted)
        return
    if origin in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            if member is not type(None):
                _walk(member, metadata, label, seen, problems, counted)
        return
    if origin in (list, set, frozenset, tuple, dict):
        for member in typing.get_args(annotation):
            if member is not Ellipsis:
                _walk(member, [], f"{label}[]", seen, problems, counted)
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for name, field in annotation.model_fields.items():
            _walk(field.annotation, list(field.metadata), f"{label}.{name}", seen, problems, counted)
        return
    counted.append(label)
    low, high = _bounds(metadata)
    if annotation is int:
        if not any(getattr(m, "strict", False) for m in metadata):
            problems.append(f"{label}: int is not strict (accepts true and \"12\")")
        if low is None or high is None or low < INT64_MIN or high > INT64_MAX:  # type: ignore[operator]
            problems.append(f"{label}: int is not bounded to 64 bits")
    elif annotation is float:
        if any(word in label.rsplit(".", 1)[-1] for word in _MONEY_WORDS):
            problems.append(f"{label}: money as a float")
        if low is None or high is None:
            problems.append(f"{label}: float is not bounded")
    elif annotation is Decimal:
        validators = {getattr(m, "func", None) for m in metadata}
        expected = {getattr(m, "func", None) for m in typing.get_args(DecimalText)[1:]}
        if not validators & (expected - {None}):
            problems.append(f"{label}: Decimal accepts JSON numbers (use kernel.fields.DecimalText)")


def test_every_request_body_field_is_strict_and_bounded(tmp_path, capsys):
    app = create_app(Settings(environment="test", data_dir=tmp_path, database_url="sqlite://",
                              audit_key="k" * 40))
    problems: list[str] = []
    counted: list[str] = []
    bodies = 0
    for route, context in _iter_routes_with_context(app.routes):
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        bodies += 1
        path = context.path if context is not None else route.path
        info = route.body_field.field_info
        _walk(info.annotation, list(info.metadata), f"{sorted(route.methods)[0]} {path}", set(),
              problems, counted)
    with capsys.disabled():
        print(f"\nrequest schemas: {bodies} bodies, {len(counted)} leaf fields checked")
    assert bodies > 40 and len(counted) > 200
    assert not problems, "\n".join(problems)
