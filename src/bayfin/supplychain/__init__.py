"""Supply-chain and association graph (供应链信用): chains, groups, guarantee circles, contagion, limits.

Other modules use this surface only: :func:`receivable_offers` (supply-chain finance offers for a core
enterprise's suppliers, a product type the financing marketplace consumes), :class:`SupplyGraph`, the
process's graph (:func:`graph_cache`, provided on the platform under :data:`GRAPH_CACHE`), and where a
region's graph deliveries list themselves (:data:`GRAPH_MANIFEST`, which the simulation home writes).
Names resolve lazily (PEP 562) so importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.supplychain.graph import SupplyGraph
    from bayfin.supplychain.risk import FinanceTerms, receivable_offers
    from bayfin.supplychain.service import GRAPH_CACHE, GRAPH_MANIFEST, GraphCache, graph_cache

_EXPORTS: dict[str, str] = {
    "SupplyGraph": ".graph",
    "FinanceTerms": ".risk",
    "receivable_offers": ".risk",
    "GRAPH_CACHE": ".service",
    "GRAPH_MANIFEST": ".service",
    "GraphCache": ".service",
    "graph_cache": ".service",
}

__all__ = ["GRAPH_CACHE", "GRAPH_MANIFEST", "FinanceTerms", "GraphCache", "SupplyGraph", "graph_cache",
           "receivable_offers"]

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)
