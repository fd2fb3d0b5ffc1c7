"""Supply-chain and association graph (供应链信用): chains, groups, guarantee circles, contagion, limits.

Other modules use this surface only: :func:`receivable_offers` (supply-chain finance offers for a core
enterprise's suppliers, a product type the financing marketplace consumes), :class:`SupplyGraph`, and the
process's graph (:func:`graph_cache`, provided on the platform under :data:`GRAPH_CACHE`). Names resolve
lazily (PEP 562) so importing the package stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayfin.supplychain.graph import SupplyGraph
    from bayfin.supplychain.risk import FinanceTerms, receivable_offers
    from bayfin.supplychain.service import GRAPH_CACHE, GraphCache, graph_cache

_EXPORTS: dict[str, str] = {
    "SupplyGraph": "bayfin.supplychain.graph",
    "FinanceTerms": "bayfin.supplychain.risk",
    "receivable_offers": "bayfin.supplychain.risk",
    "GRAPH_CACHE": "bayfin.supplychain.service",
    "GraphCache": "bayfin.supplychain.service",
    "graph_cache": "bayfin.supplychain.service",
}

__all__ = ["GRAPH_CACHE", "FinanceTerms", "GraphCache", "SupplyGraph", "graph_cache", "receivable_offers"]


def __getattr__(name: str) -> Any:
    """Resolve an exported name from the submodule that defines it (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
