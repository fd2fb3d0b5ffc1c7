"""A parser for SCIM 2.0 filter expressions (RFC 7644 §3.4.2.2), pure: text in, syntax tree out.

Grammar handled: ``attrPath op value``, ``attrPath pr``, ``and`` / ``or`` / ``not (…)`` and
parentheses, with ``and`` binding tighter than ``or``. Values: JSON strings, numbers, true, false,
null. Attribute paths may be dotted (``name.formatted``, ``emails.value``, ``meta.lastModified``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bayfin.kernel.errors import BadRequest

COMPARISONS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<str>"(?:[^"\\]|\\.)*")|'
                    r'(?P<word>[A-Za-z0-9_.:$\-\[\]]+))')


@dataclass(frozen=True)
class Compare:
    """``attribute op value`` (op ``pr`` has no value)."""

    attribute: str
    op: str
    value: str | int | float | bool | None = None


@dataclass(frozen=True)
class Logical:
    """``left and|or right``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    """``not (inner)``."""

    inner: Node


Node = Compare | Logical | Not


class InvalidFilter(BadRequest):
    """The filter does not parse (SCIM ``invalidFilter``)."""

    code = "invalidFilter"


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InvalidFilter(f"unexpected character at {pos}")
        out.append(m.group(m.lastgroup or "word"))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _value(token: str) -> str | int | float | bool | None:
    if token.startswith('"'):
        return str(json.loads(token))
    low = token.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    try:
        return float(token) if "." in token else int(token)
    except ValueError as exc:
        raise InvalidFilter(f"not a value: {token}") from exc


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise InvalidFilter("the filter ends too early")
        self.i += 1
        return tok

    def expr(self) -> Node:
        node = self.term()
        while (tok := self.peek()) is not None and tok.lower() == "or":
            self.take()
            node = Logical("or", node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while (tok := self.peek()) is not None and tok.lower() == "and":
            self.take()
            node = Logical("and", node, self.factor())
        return node

    def factor(self) -> Node:
        tok = self.take()
        if tok == "(":
            node = self.expr()
            if self.take() != ")":
                raise InvalidFilter("missing )")
            return node
        if tok.lower() == "not":
            if self.take() != "(":
                raise InvalidFilter("not must be followed by (")
            node = self.expr()
            if self.take() != ")":
                raise InvalidFilter("missing )")
            return Not(node)
        op = self.take().lower()
        if op == "pr":
            return Compare(tok, "pr")
        if op not in COMPARISONS:
            raise InvalidFilter(f"unknown operator {op}")
        return Compare(tok, op, _value(self.take()))


def parse_filter(text: str) -> Node:
    """The syntax tree of a SCIM filter, or :class:`InvalidFilter`."""
    if len(text) > 2000:
        raise InvalidFilter("the filter is too long")
    parser = _Parser(_tokens(text))
    node = parser.expr()
    if parser.peek() is not None:
        raise InvalidFilter(f"unexpected {parser.peek()}")
    return node
