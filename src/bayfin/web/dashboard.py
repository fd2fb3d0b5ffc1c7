"""The operator dashboard's figures (registrations from the hub, financings from the financing
module's own statistics) and the ECharts options that draw them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from bayfin.financing import service_for
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal
from bayfin.web import geography
from bayfin.web import repository as repo
from bayfin.web.access import FINANCING_OPERATOR, FINANCING_STATISTICS


def financing_statistics(session: Session, platform: Platform, principal: Principal) -> dict[str, Any] | None:
    """``FinancingService.statistics`` when the user's rights include them (as on the API)."""
    if not FINANCING_STATISTICS.allows(principal):
        return None
    return dict(service_for(session, platform).statistics(principal))


def _rows(stats: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = stats.get(name) or []
    return rows


def figures(session: Session, platform: Platform, principal: Principal, lang: str) -> dict[str, Any]:
    """Every figure the dashboard shows."""
    by_city = repo.enterprises_by_city(session)
    financing = financing_statistics(session, platform, principal)
    fin_city: dict[str, dict[str, int]] = defaultdict(lambda: {"financings": 0, "amount_fen": 0})
    for row in _rows(financing or {}, "by_city"):  # district codes → their prefecture city
        city = fin_city[str(row["key"])[:4] + "00"]
        city["financings"] += int(row["financings"])
        city["amount_fen"] += int(row["amount_fen"])
    cities = []
    for code, (zh, en) in geography.CITIES.items():
        f = fin_city.get(code, {"financings": 0, "amount_fen": 0})
        cities.append({"code": code, "zh": zh, "name": zh if lang == "zh" else en,
                       "enterprises": by_city.get(code, 0), "financings": f["financings"],
                       "amount_fen": f["amount_fen"]})
    industries = sorted(((geography.section_name(k, lang), v)
                         for k, v in repo.enterprises_by_industry(session).items()),
                        key=lambda kv: -kv[1])
    alerts = (service_for(session, platform).alerts(principal, limit=20)
              if FINANCING_OPERATOR.allows(principal) else [])
    return {"enterprises": repo.registered_enterprises(session), "cities": cities,
            "cities_covered": sum(1 for c in cities if c["enterprises"]), "industries": industries,
            "founded": repo.enterprises_by_founding_year(session), "financing": financing,
            "alerts": alerts}


def _bars(names: list[str], values: list[float], label: str, colour: str) -> dict[str, Any]:
    return {"tooltip": {"trigger": "axis"}, "grid": {"left": 150, "right": 20, "top": 10, "bottom": 30},
            "xAxis": {"type": "value"}, "yAxis": {"type": "category", "inverse": True, "data": names},
            "series": [{"type": "bar", "name": label, "itemStyle": {"color": colour}, "data": values}]}


def charts(f: dict[str, Any], t: dict[str, str]) -> dict[str, dict[str, Any]]:
    """ECharts options: the Guangdong map, industries, new firms by year, and financings by bank and
    product type when the financing statistics are there."""
    financing = f.get("financing")
    metric = "financings" if financing and financing.get("financings") else "enterprises"
    values = [c[metric] for c in f["cities"]]
    label = t["dash.financings"] if metric == "financings" else t["dash.enterprises"]
    out: dict[str, dict[str, Any]] = {
        "map": {
            "tooltip": {"trigger": "item"},
            "visualMap": {"min": 0, "max": max(values or [1]) or 1, "left": "left", "bottom": 10,
                          "calculable": True, "inRange": {"color": ["#e0ecf8", "#0b5cad"]}},
            "series": [{"type": "map", "map": "广东", "name": label, "roam": False,
                        "label": {"show": True, "fontSize": 10},
                        "data": [{"name": c["zh"], "value": c[metric]} for c in f["cities"]]}],
        },
        "industry": _bars([k for k, _ in f["industries"]], [v for _, v in f["industries"]],
                          t["dash.enterprises"], "#0b5cad"),
        "trend": {
            "tooltip": {"trigger": "axis"}, "grid": {"left": 50, "right": 20, "top": 20, "bottom": 30},
            "xAxis": {"type": "category", "data": list(f["founded"])}, "yAxis": {"type": "value"},
            "series": [{"type": "line", "name": t["dash.enterprises"], "itemStyle": {"color": "#0b5cad"},
                        "data": list(f["founded"].values())}],
        },
    }
    if financing:
        banks = _rows(financing, "by_institution")
        out["bank"] = _bars([str(b["key"]) for b in banks],  # in 万元 (10,000 yuan) so the axis reads
                            [round(b["amount_fen"] / 1_000_000, 2) for b in banks],
                            t["dash.amount_wan"], "#1d6b32")
        kinds = _rows(financing, "by_product_type")
        out["product_type"] = _bars([str(k["key"]) for k in kinds], [int(k["financings"]) for k in kinds],
                                    t["dash.financings"], "#7a4b00")
        months = _rows(financing, "by_month")
        if months:  # financings and amounts per month of disbursement: the pilot's monthly report
            out["monthly"] = {
                "tooltip": {"trigger": "axis"}, "legend": {"top": 0},
                "grid": {"left": 50, "right": 60, "top": 40, "bottom": 30},
                "xAxis": {"type": "category", "data": [str(m["key"]) for m in months]},
                "yAxis": [{"type": "value", "minInterval": 1}, {"type": "value"}],  # the legend names them
                "series": [
                    {"type": "bar", "name": t["dash.financings"], "itemStyle": {"color": "#0b5cad"},
                     "data": [int(m["financings"]) for m in months]},
                    {"type": "line", "name": t["dash.amount_wan"], "yAxisIndex": 1,
                     "itemStyle": {"color": "#1d6b32"},
                     "data": [round(int(m["amount_fen"]) / 1_000_000, 2) for m in months]},
                ],
            }
    return out
