"""Supply-chain and association graph (供应链信用): chains, groups, guarantee circles, contagion, limits.

Other modules use this surface: :func:`receivable_offers` (supply-chain finance offers for a core
enterprise's suppliers, a product type the financing marketplace consumes) and :class:`SupplyGraph`.
"""

from bayfin.supplychain.graph import SupplyGraph
from bayfin.supplychain.risk import FinanceTerms, receivable_offers

__all__ = ["FinanceTerms", "SupplyGraph", "receivable_offers"]
