"""Money as integer fen (分) or Decimal yuan, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
_UNIT_FACTORS = {"分": Decimal(1), "fen": Decimal(1), "元": Decimal(100), "yuan": Decimal(100),
                 "万元": Decimal(1_000_000), "wan": Decimal(1_000_000), "亿元": Decimal(10_000_000_000)}


def to_fen(amount: str | int | Decimal, unit: str = "元") -> int:
    """Convert an amount in a named unit (元, 万元, 分, 亿元) to integer fen, rounding half up.

    Raises ValueError on anything that is not a finite decimal number; floats are refused so that
    binary rounding never enters a ledger.
    """
    if isinstance(amount, float):
        raise TypeError("money must not be a float; pass a str, int or Decimal")
    try:
        factor = _UNIT_FACTORS[unit]
    except KeyError as exc:
        raise ValueError(f"unknown money unit {unit!r}") from exc
    try:
        value = Decimal(str(amount).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    return int((value * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen as Decimal yuan with two places."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))
