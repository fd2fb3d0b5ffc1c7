"""The graph's answers as plain data, shared by the CLI and the API (ids, codes and amounts only)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bayfin.supplychain.graph import (
    EdgeKind,
    SupplyGraph,
    association_groups,
    chain_tiers,
    circular_trading,
    concentration,
    ego_network,
    guarantee_circles,
    stability,
)
from bayfin.supplychain.risk import debtrank


def chain_view(graph: SupplyGraph, core: str, hops: int, min_share: float, last_month: str) -> dict[str, Any]:
    """A core enterprise's upstream and downstream tiers with each relation's stability."""
    out: dict[str, Any] = {"core": core, **concentration(graph, core)}
    for direction in ("upstream", "downstream"):
        members = []
        for m in chain_tiers(graph, core, direction, hops, min_share):
            pair = (m.credit_code, m.via) if direction == "upstream" else (m.via, m.credit_code)
            link = graph.link(EdgeKind.invoice, *pair)
            members.append(
                {
                    **asdict(m),
                    "share": round(m.share, 4),
                    "stability": stability(link, last_month or None) if link else 0.0,
                }
            )
        out[direction] = members
    return out


def group_of(graph: SupplyGraph, party: str) -> dict[str, Any] | None:
    """The association group ``party`` belongs to, or None."""
    for g in association_groups(graph):
        if party in g.members:
            return {"members": list(g.members), "controllers": list(g.controllers)}
    return None


def groups_view(graph: SupplyGraph) -> list[dict[str, Any]]:
    """Every association group of two or more enterprises."""
    return [
        {"members": list(g.members), "controllers": list(g.controllers)} for g in association_groups(graph)
    ]


def circles_view(graph: SupplyGraph, max_length: int = 8) -> list[dict[str, Any]]:
    """Every guarantee circle with its amounts at stake."""
    return [
        {"firms": list(c.firms), "amounts_fen": list(c.amounts_fen), "at_stake_fen": c.at_stake_fen}
        for c in guarantee_circles(graph, max_length)
    ]


def rings_view(graph: SupplyGraph, tolerance: float = 0.05, min_months: int = 3) -> list[dict[str, Any]]:
    """Suspected circular trading: invoice cycles with matching amounts."""
    return [
        {"firms": list(r.firms), "matching_months": list(r.matching_months), "amount_fen": r.amount_fen}
        for r in circular_trading(graph, tolerance, min_months)
    ]


def contagion_view(graph: SupplyGraph, defaulted: list[str], subject: str | None, top: int) -> dict[str, Any]:
    """DebtRank from the given defaults: the most exposed firms (or one subject) and their drivers."""
    result = debtrank(graph, dict.fromkeys(defaulted, 1.0))
    if subject is not None:
        return {
            "defaulted": defaulted,
            "rounds": result.rounds,
            "exposed": [
                {
                    "credit_code": subject,
                    "exposure": round(result.exposure(subject), 6),
                    "drivers": result.drivers(subject),
                }
            ],
        }
    exposed = [
        {"credit_code": c, "exposure": e, "drivers": result.drivers(c)} for c, e in result.ranking(top)
    ]
    return {"defaulted": defaulted, "rounds": result.rounds, "exposed": exposed}


def ego_view(graph: SupplyGraph, party: str, radius: int, limit: int = 300) -> dict[str, Any]:
    """The ego network of ``party`` (contact points and persons included, pseudonymous)."""
    return ego_network(graph, party, radius, limit=limit)
