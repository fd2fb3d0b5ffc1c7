"""Payment tokenisation (Token 2.0) and the one-interface multi-bank wallet.

The surface other modules use: ``TokenService`` (on the platform under ``tokens.wiring.TOKENS``), the bank
adapter interface ``BankAdapter`` and the reason codes ``Reason``.
"""

from bayfin.tokens.banks import BankAdapter, BankAuthorization
from bayfin.tokens.domain import Reason

__all__ = ["BankAdapter", "BankAuthorization", "Reason"]
