"""The operator dashboard's figures (from the hub and the financing module's statistics) and the
ECharts options that draw them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal
from bayfin.web import geography
from bayfin.web import repository as repo


def financing_statistics(session: Session, platform: Platform, principal: Principal) -> dict[str, Any] | None:
    """The financing module's statistics, when it is installed."""
    try:
        from bayfin.financing.service import service_for  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    stats: dict[str, Any] = dict(service_for(session, platform).statistics(principal))
    return stats


def figures(session: Session, platform: Platform, principal: Principal, lang: str) -> dict[str, Any]:
    """Every figure the dashboard shows."""
    by_city = repo.enterprises_by_city(session)
    financing = financing_statistics(session, platform, principal)
    fin_city: dict[str, dict[str, int]] = (financing or {}).get("by_city", {}) or {}
    cities = []
    for code, (zh, en) in geography.CITIES.items():
        f = fin_city.get(code, {})
        cities.append({"code": code, "zh": zh, "name": zh if lang == "zh" else en,
                       "enterprises": by_city.get(code, 0), "financings": int(f.get("count", 0)),
                       "amount_fen": int(f.get("amount_fen", 0))})
    industries = sorted(((geography.section_name(k, lang), v)
                         for k, v in repo.enterprises_by_industry(session).items()),
                        key=lambda kv: -kv[1])
    return {"enterprises": repo.registered_enterprises(session), "cities": cities,
            "cities_covered": sum(1 for c in cities if c["enterprises"]), "industries": industries,
            "financing": financing}


def charts(f: dict[str, Any], t: dict[str, str]) -> dict[str, dict[str, Any]]:
    """ECharts options: the Guangdong map, industries, and (with financing data) banks and trend."""
    values = [c["enterprises"] for c in f["cities"]]
    out: dict[str, dict[str, Any]] = {
        "map": {
            "tooltip": {"trigger": "item"},
            "visualMap": {"min": 0, "max": max(values or [1]) or 1, "left": "left", "bottom": 10,
                          "calculable": True, "inRange": {"color": ["#e0ecf8", "#0b5cad"]}},
            "series": [{"type": "map", "map": "广东", "name": t["dash.enterprises"], "roam": False,
                        "label": {"show": True, "fontSize": 10},
                        "data": [{"name": c["zh"], "value": c["enterprises"]} for c in f["cities"]]}],
        },
        "industry": {
            "tooltip": {"trigger": "axis"}, "grid": {"left": 140, "right": 20, "top": 10, "bottom": 30},
            "xAxis": {"type": "value"},
            "yAxis": {"type": "category", "inverse": True, "data": [k for k, _ in f["industries"]]},
            "series": [{"type": "bar", "name": t["dash.enterprises"], "itemStyle": {"color": "#0b5cad"},
                        "data": [v for _, v in f["industries"]]}],
        },
    }
    financing = f.get("financing")
    if financing:
        banks = list(financing.get("by_bank", {}).items())
        out["bank"] = {
            "tooltip": {"trigger": "axis"}, "grid": {"left": 140, "right": 20, "top": 10, "bottom": 30},
            "xAxis": {"type": "value"},
            "yAxis": {"type": "category", "inverse": True, "data": [b for b, _ in banks]},
            "series": [{"type": "bar", "name": t["dash.financings"], "itemStyle": {"color": "#1d6b32"},
                        "data": [int(v.get("count", 0)) if isinstance(v, dict) else int(v)
                                 for _, v in banks]}],
        }
        trend = list(financing.get("by_month", {}).items())
        out["trend"] = {
            "tooltip": {"trigger": "axis"}, "grid": {"left": 60, "right": 20, "top": 20, "bottom": 30},
            "xAxis": {"type": "category", "data": [m for m, _ in trend]}, "yAxis": {"type": "value"},
            "series": [{"type": "line", "name": t["dash.financings"], "itemStyle": {"color": "#0b5cad"},
                        "data": [int(v.get("count", 0)) if isinstance(v, dict) else int(v)
                                 for _, v in trend]}],
        }
    return out
