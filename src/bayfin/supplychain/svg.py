"""An SVG picture of an ego network for the console: concentric rings by hop distance, no browser needed.

The centre sits in the middle; nodes one hop away on the first ring, two hops on the second, spread
evenly by angle. Edges are coloured by kind and thickened by amount (log scale); enterprises are
circles labelled with the last six characters of the credit code, persons and contact points squares.
"""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape

COLOURS = {
    "invoice": "#1f77b4",
    "transfer": "#17becf",
    "shareholding": "#2ca02c",
    "legal_rep": "#98df8a",
    "guarantee": "#d62728",
    "contact": "#aaaaaa",
}


def layout(network: dict[str, Any], size: int) -> dict[str, tuple[float, float]]:
    """Positions: hop distance sets the ring, order within the ring sets the angle."""
    centre = size / 2
    by_ring: dict[int, list[str]] = {}
    for node in network["nodes"]:
        by_ring.setdefault(int(node["hops"]), []).append(str(node["id"]))
    rings = max(by_ring, default=0)
    step = (size / 2 - 60) / max(1, rings)
    pos: dict[str, tuple[float, float]] = {}
    for ring, ids in by_ring.items():
        for k, party in enumerate(sorted(ids)):
            angle = 2 * math.pi * k / max(1, len(ids)) + ring * 0.3
            pos[party] = (centre + ring * step * math.cos(angle), centre + ring * step * math.sin(angle))
    return pos


def render_ego_svg(network: dict[str, Any], size: int = 720) -> str:
    """The ego network as a standalone SVG document."""
    pos = layout(network, size)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        'font-family="sans-serif" font-size="10">',
        f"<title>ego network of {escape(str(network['center']))}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for edge in network["edges"]:
        if edge["source"] not in pos or edge["target"] not in pos:
            continue
        (x1, y1), (x2, y2) = pos[edge["source"]], pos[edge["target"]]
        width = 1 + math.log10(1 + int(edge["amount_fen"]) / 1_000_000) if edge["amount_fen"] else 1
        colour = COLOURS.get(str(edge["kind"]), "#555")
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="{width:.2f}" stroke-opacity="0.7" marker-end="url(#arrow)">'
            f"<title>{escape(str(edge['kind']))} {escape(str(edge['source']))} → "
            f"{escape(str(edge['target']))}</title></line>"
        )
    for node in network["nodes"]:
        party = str(node["id"])
        x, y = pos[party]
        fill = "#ff7f0e" if party == network["center"] else "#ffffff"
        if node["enterprise"]:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{fill}" stroke="#333"/>')
        else:
            parts.append(
                f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="#eee" stroke="#777"/>'
            )
        parts.append(f'<text x="{x + 11:.1f}" y="{y + 4:.1f}">{escape(party[-6:])}</text>')
    legend_y = 16
    for kind, colour in COLOURS.items():
        parts.append(
            f'<line x1="8" y1="{legend_y}" x2="28" y2="{legend_y}" stroke="{colour}" stroke-width="3"/>'
        )
        parts.append(f'<text x="32" y="{legend_y + 4}">{kind}</text>')
        legend_y += 14
    parts.append("</svg>")
    return "\n".join(parts)
