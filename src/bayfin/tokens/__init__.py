"""Payment tokenisation (Token 2.0) and the one-interface multi-bank wallet.

The surface other modules use: ``TokenService`` (on the platform under :data:`TOKENS`), the bank adapter
interface ``BankAdapter`` with its ``BankAuthorization`` answer, and the reason codes ``Reason``. Names
resolve lazily (PEP 562) so importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.tokens.banks import BankAdapter, BankAuthorization
    from bayfin.tokens.domain import Reason
    from bayfin.tokens.service import TokenService
    from bayfin.tokens.wiring import TOKENS

_EXPORTS = {
    "BankAdapter": ".banks",
    "BankAuthorization": ".banks",
    "Reason": ".domain",
    "TokenService": ".service",
    "TOKENS": ".wiring",
}

__all__ = ["TOKENS", "BankAdapter", "BankAuthorization", "Reason", "TokenService"]

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)
