"""Risk monitoring (金融风险监测): evidence from web, police, hotline and licence deliveries, linked to firms,
tagged, scored into a risk index, with alerts on level crossings and leads (线索) to investigate.

Other modules use this surface only: the :class:`RiskMonitor` service (``platform.service(RISK_MONITOR)``
or :func:`risk_monitor`), the latest scores, leads and a firm's portrait for the console, the risk
vocabulary, and the text pools the simulation home draws evidence from. Names resolve lazily (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.riskmonitor.domain import CATEGORIES, CATEGORY_LICENCE, LEVEL_RANK
    from bayfin.riskmonitor.leads import LeadView, Portrait, ScoreView, lead_view, lead_views, portrait
    from bayfin.riskmonitor.repository import latest_scores
    from bayfin.riskmonitor.service import IngestReport, RiskMonitor
    from bayfin.riskmonitor.texts import benign_text, risky_text
    from bayfin.riskmonitor.wiring import RISK_MONITOR, risk_monitor
    from bayfin.riskmonitor.workflows import RISK_MANIFEST

_DOMAIN = "bayfin.riskmonitor.domain"
_EXPORTS: dict[str, str] = {
    "CATEGORIES": _DOMAIN,
    "CATEGORY_LICENCE": _DOMAIN,
    "LEVEL_RANK": _DOMAIN,
    "lead_view": "bayfin.riskmonitor.leads",
    "LeadView": "bayfin.riskmonitor.leads",
    "Portrait": "bayfin.riskmonitor.leads",
    "ScoreView": "bayfin.riskmonitor.leads",
    "portrait": "bayfin.riskmonitor.leads",
    "latest_scores": "bayfin.riskmonitor.repository",
    "lead_views": "bayfin.riskmonitor.leads",
    "IngestReport": "bayfin.riskmonitor.service",
    "RiskMonitor": "bayfin.riskmonitor.service",
    "benign_text": "bayfin.riskmonitor.texts",
    "risky_text": "bayfin.riskmonitor.texts",
    "RISK_MONITOR": "bayfin.riskmonitor.wiring",
    "risk_monitor": "bayfin.riskmonitor.wiring",
    "RISK_MANIFEST": "bayfin.riskmonitor.workflows",
}

__all__ = [
    "CATEGORIES",
    "CATEGORY_LICENCE",
    "LEVEL_RANK",
    "RISK_MANIFEST",
    "RISK_MONITOR",
    "IngestReport",
    "LeadView",
    "Portrait",
    "RiskMonitor",
    "ScoreView",
    "benign_text",
    "latest_scores",
    "lead_view",
    "lead_views",
    "portrait",
    "risk_monitor",
    "risky_text",
]

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)
