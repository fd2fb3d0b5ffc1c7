"""An SVG map of sites coloured by status, drawn from longitude/latitude alone (no tiles, no CDN)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

#: Status colours: worst active alarm severity, or healthy.
COLOURS = {"CRITICAL": "#c0392b", "MAJOR": "#e67e22", "MINOR": "#f1c40f", "WARNING": "#f1c40f",
           "OK": "#27ae60"}
ORDER = ("CRITICAL", "MAJOR", "MINOR", "WARNING")


@dataclass(frozen=True)
class MapSite:
    """A site to draw."""

    code: str
    name: str
    kind: str
    lat: float
    lon: float


def status_of(severities: Mapping[str, int] | None) -> str:
    """The worst severity among a site's active alarms, or "OK"."""
    for severity in ORDER:
        if severities and severities.get(severity):
            return severity
    return "OK"


def render(sites: Sequence[MapSite], status: Mapping[str, str], *, width: int = 900,
           title: str = "Card terminals, Zhuhai") -> str:
    """The map: an equirectangular projection scaled by cos(latitude) so distances look right."""
    height = width * 3 // 4
    pad = 40
    if sites:
        lat_min, lat_max = min(s.lat for s in sites), max(s.lat for s in sites)
        lon_min, lon_max = min(s.lon for s in sites), max(s.lon for s in sites)
    else:  # Zhuhai's extent, so an empty registry still shows a sensible frame
        lat_min, lat_max, lon_min, lon_max = 21.95, 22.45, 113.10, 113.65
    kx = math.cos(math.radians((lat_min + lat_max) / 2))
    span = max((lon_max - lon_min) * kx, lat_max - lat_min, 1e-4)
    scale = min(width - 2 * pad, height - 2 * pad - 30) / span

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return pad + (lon - lon_min) * kx * scale, height - pad - (lat - lat_min) * scale

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}">',
             f'<rect width="{width}" height="{height}" fill="#f4f6f8"/>',
             f'<text x="{pad}" y="26" font-family="sans-serif" font-size="18">{escape(title)}</text>']
    counts: dict[str, int] = {}
    # Healthy sites first so alarmed ones are drawn on top and stay visible.
    for site in sorted(sites, key=lambda s: status.get(s.code, "OK") != "OK"):
        state = status.get(site.code, "OK")
        counts[state] = counts.get(state, 0) + 1
        x, y = xy(site.lat, site.lon)
        shape = (f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"' if site.kind == "hospital"
                 else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4"')
        close = "</rect>" if site.kind == "hospital" else "</circle>"
        parts.append(f'{shape} fill="{COLOURS.get(state, COLOURS["OK"])}" stroke="#333" stroke-width="0.5" '
                     f'data-site="{escape(site.code)}" data-status="{state}"><title>{escape(site.code)} '
                     f'{escape(site.name)}: {state}</title>{close}')
    legend_y = height - 12
    x = pad
    for state in ("OK", *ORDER[:2], "MINOR"):
        parts.append(f'<circle cx="{x}" cy="{legend_y - 4}" r="5" fill="{COLOURS[state]}"/>'
                     f'<text x="{x + 9}" y="{legend_y}" font-family="sans-serif" font-size="12">'
                     f'{state} ({counts.get(state, 0)})</text>')
        x += 130
    parts.append("</svg>")
    return "\n".join(parts)
