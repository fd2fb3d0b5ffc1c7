"""Field types every module's request schemas and parameters share, so bad input is refused at the
edge (422) on every database alike.

PostgreSQL refuses what SQLite silently stores: an integer past 64 bits ("bigint out of range") and a
NUL character in text ("text fields cannot contain NUL"). Both used to surface as 500s. The types
here bound every integer to what a BIGINT column holds, keep NUL out of every string, and make money
and counts strict: ``true`` or ``"12"`` is not a count, and a float never becomes money.

Query and path parameters arrive as text, so their integer types are lax about the *form* (``"12"``
parses) but bounded; body integers are strict (a JSON number, never a bool or a string).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, Strict, WithJsonSchema

#: The largest value a signed 64-bit column (BIGINT, SQLite INTEGER) holds.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
#: The largest money amount any API accepts: 1 trillion yuan in fen, far inside a 64-bit column.
MAX_FEN = 10**14
#: The longest decimal amount written as text we parse (digits, sign, point).
_MAX_DECIMAL_CHARS = 40
#: C0 and C1 control characters and DEL: never part of a name, a code or an address.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def refuse_nul(value: str) -> str:
    """The string unchanged, or ValueError when it holds a NUL character (PostgreSQL stores none)."""
    if "\x00" in value:
        raise ValueError("text must not contain the NUL character")
    return value


def refuse_control(value: str) -> str:
    """The string unchanged, or ValueError when it holds a control character (NUL, tab, newline,
    escape, DEL, C1): one line of text, as a name, a code or an address is."""
    if _CONTROL.search(value):
        raise ValueError("text must not contain control characters")
    return value


def _decimal_from_text(value: Any) -> Any:
    # Money and rates come as JSON strings ("1234.50"): a JSON number would pass through a binary
    # float on the way in, and a bool is not an amount at all.
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError('a decimal amount is written as a string, e.g. "1234.50"')
    text = value.strip()
    if not text or len(text) > _MAX_DECIMAL_CHARS:
        raise ValueError("not a decimal amount")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("not a decimal amount") from exc
    if not number.is_finite():
        raise ValueError("not a finite decimal amount")
    return number


# --- text ---------------------------------------------------------------------------------------
#: Any request string: NUL refused. Add length limits with ``Field(max_length=...)`` at the use.
Text = Annotated[str, AfterValidator(refuse_nul)]
#: One line of text (a name, a code, a URI): no control character at all. Bound it at the use.
Line = Annotated[str, AfterValidator(refuse_control)]

# --- integers in query and path parameters (text on the wire, so lax form, strict range) --------
#: A database id in a path or query parameter.
IdParam = Annotated[int, Field(ge=1, le=INT64_MAX)]
#: A count or offset in a query parameter.
CountParam = Annotated[int, Field(ge=0, le=INT64_MAX)]
#: Any integer a query parameter may carry that ends up in a 64-bit column.
Int64Param = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]

# --- integers in request bodies (strict: a JSON integer, never true or "12") ---------------------
#: A database id named in a request body.
Id = Annotated[int, Strict(), Field(ge=1, le=INT64_MAX)]
#: A non-negative count in a request body.
Count = Annotated[int, Strict(), Field(ge=0, le=INT64_MAX)]
#: A signed integer in a request body that ends up in a 64-bit column.
Int64 = Annotated[int, Strict(), Field(ge=INT64_MIN, le=INT64_MAX)]
#: Money in integer fen (分), zero allowed; bound it further at the use (``gt=0``) where needed.
Fen = Annotated[int, Strict(), Field(ge=0, le=MAX_FEN)]
#: A strict integer whose range the use gives, e.g. ``term_months: StrictInt = Field(ge=1, le=360)``.
StrictInt = Annotated[int, Strict()]

# --- decimals -----------------------------------------------------------------------------------
#: A decimal amount or rate: only from a JSON string (or a Decimal in Python), never a float or bool.
DecimalText = Annotated[Decimal, BeforeValidator(_decimal_from_text),
                        WithJsonSchema({"type": "string", "pattern": r"^\s*[-+]?\d+(\.\d+)?\s*$",
                                        "examples": ["0.0385"]}, mode="validation")]
