"""One way to page through a list: a keyset cursor, a bounded page size and a link to the next page.

A list is read in a stable order of its key (the sort columns followed by a unique id), ``limit + 1``
rows at a time; the extra row only says whether another page follows. The cursor is the key of the
page's last item, sealed with an HMAC and bound to the list it came from, so a client can hand it back
but not forge, edit or reuse it elsewhere: anything else is a 400 problem, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from bayfin.kernel.errors import AppError

T = TypeVar("T")
R = TypeVar("R")
#: A key value a cursor can carry (what the sort columns of a list hold).
KeyValue = str | int | float | bool | Decimal | datetime | date | None
Key = tuple[KeyValue, ...]
#: A sort column of a keyset: a mapped attribute or any column expression.
Column = ColumnElement[Any] | QueryableAttribute[Any]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: A cursor is short: a few key values. Anything longer is not one of ours.
MAX_CURSOR_LENGTH = 512


class InvalidCursor(AppError):
    """The cursor was not issued by this list (malformed, edited, or from another list)."""

    code = "invalid_cursor"
    title = "Invalid cursor"


class Page(BaseModel, Generic[T]):
    """One page of a list: its items in order, and the link to the next page (null on the last)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"items": [], "next": "/v1/things?limit=50&cursor=eyJrIjpbIjAxSDAwIl19.c2ln"}]})

    items: list[T] = Field(description="The page's items, in the list's order")
    next: str | None = Field(description="URL of the next page (same query, with its cursor); "
                                         "null when this page is the last")


@dataclass(frozen=True)
class PageRequest:
    """Which page to read: at most ``limit`` items after the key ``after`` (None: from the start)."""

    limit: int = DEFAULT_LIMIT
    after: Key | None = None

    @property
    def fetch(self) -> int:
        """How many rows to read: one more than the page, to learn whether another page follows."""
        return self.limit + 1


def _tag(value: KeyValue) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _untag(value: Any) -> KeyValue:
    if isinstance(value, dict) and len(value) == 1:
        (kind, text), = value.items()
        if not isinstance(text, str):
            raise ValueError("tagged value is not text")
        if kind == "dt":
            return datetime.fromisoformat(text)
        if kind == "d":
            return date.fromisoformat(text)
        if kind == "dec":
            return Decimal(text)
        raise ValueError("unknown tag")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("not a key value")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Seals a key into an opaque cursor bound to one list, and opens only cursors it sealed."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"bayfin pagination cursor", hashlib.sha256).digest()

    def _mac(self, scope: str, body: bytes) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\x00" + body, hashlib.sha256).digest()[:16]

    def encode(self, scope: str, key: Key) -> str:
        """The cursor for ``key`` in the list named ``scope``."""
        body = orjson.dumps([_tag(v) for v in key])
        return f"{_b64(body)}.{_b64(self._mac(scope, body))}"

    def decode(self, scope: str, cursor: str) -> Key:
        """The key sealed in ``cursor``; InvalidCursor (400) unless this codec sealed it for ``scope``."""
        if len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
            raise InvalidCursor("the cursor is not one this list issued")
        body_text, mac_text = cursor.split(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (binascii.Error, ValueError):
            raise InvalidCursor("the cursor is not one this list issued") from None
        if not hmac.compare_digest(mac, self._mac(scope, body)):
            raise InvalidCursor("the cursor is not one this list issued (edited, or from another list)")
        try:
            values = orjson.loads(body)
            if not isinstance(values, list) or not values:
                raise ValueError("empty key")
            return tuple(_untag(v) for v in values)
        except (orjson.JSONDecodeError, ValueError, InvalidOperation):
            raise InvalidCursor("the cursor is not one this list issued") from None


def keyset(statement: Select[Any], columns: Sequence[Column], page: PageRequest, *,
           descending: bool = False) -> Select[Any]:
    """``statement`` ordered by ``columns`` (the last one unique; newest first when ``descending``),
    starting after ``page.after``, limited to one row more than the page. The columns must be
    NOT NULL: a keyset skips nulls."""
    if page.after is not None:
        if len(page.after) != len(columns):
            raise InvalidCursor("the cursor is not one this list issued")
        statement = statement.where(_after(columns, page.after, descending))
    order = [c.desc() if descending else c.asc() for c in columns]
    return statement.order_by(None).order_by(*order).limit(page.fetch)


def _after(columns: Sequence[Column], key: Key, descending: bool) -> ColumnElement[bool]:
    # (a, b, c) > (x, y, z) spelled out, which every database plans as a range on the index.
    clauses: list[ColumnElement[bool]] = []
    for i, column in enumerate(columns):
        beyond = column < key[i] if descending else column > key[i]
        clauses.append(and_(*[columns[j] == key[j] for j in range(i)], beyond))
    return or_(*clauses)


def in_memory(items: Sequence[R], key: Callable[[R], Key], page: PageRequest, *,
              descending: bool = False) -> list[R]:
    """The same page over a list computed in memory: sorted by ``key`` (unique per item), after
    ``page.after``, one item more than the page."""
    ordered = sorted(items, key=key, reverse=descending)
    if page.after is not None:
        after = page.after
        try:
            if descending:
                ordered = [i for i in ordered if key(i) < after]
            else:
                ordered = [i for i in ordered if key(i) > after]
        except TypeError:
            raise InvalidCursor("the cursor is not one this list issued") from None
    return ordered[:page.fetch]


def split(rows: Sequence[R], page: PageRequest, key: Callable[[R], Key]) -> tuple[list[R], Key | None]:
    """The page's rows and the key to continue after (None when no row follows)."""
    if len(rows) <= page.limit:
        return list(rows), None
    kept = list(rows[:page.limit])
    return kept, key(kept[-1])
