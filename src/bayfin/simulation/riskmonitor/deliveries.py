"""The risk evidence sources as demo deliveries over the region's population, with planted risky firms.

- ``cncert/web_monitoring_<month>.jsonl``: internet monitoring (websites, apps, public accounts): page
  text, ICP filing's credit code (often missing), phone, daily visits.
- ``police/case_reports_<quarter>.csv`` (GBK): police case reports naming the firm as written at intake.
- ``hotline/complaints_<month>.csv``: 12345 citizen-hotline tickets; the named party is what the caller
  said (short names, shop signs, misspellings, only a phone) and the content is free text.
- ``licences/financial_licences.csv``: the financial licence register.

The planted risky firms, their categories, promised rates and victims are written to
``ground_truth/risk_firms.csv`` (outside the manifest).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl

from bayfin.riskmonitor import CATEGORIES, CATEGORY_LICENCE, RISK_MANIFEST, benign_text, risky_text
from bayfin.simulation.creditdata import Region, build_population
from bayfin.simulation.creditdata.population import CITIES, MONTHS, month_of

#: Share of firms planted as risky (600k firms → 1,500 high-risk, as in Guangzhou's figures).
RISKY_SHARE = 0.0025
_LICENSED_SHARE = 0.003
_SIGNS = ("财富", "理财", "投资", "资本", "金服", "控股")
_TYPO = str.maketrans("鑫源恒泰丰瑞祥隆昌兴", "金原衡太峰锐翔龙晶星")


def firm_phone(index: int) -> str:
    """The demo firm's contact mobile number (stable per population index)."""
    return f"13{(index * 7919) % 1_000_000_000:09d}"


def _mention(rng: np.random.Generator, name: str, city: str, index: int) -> tuple[str, str]:
    """What a caller calls the firm, and how the demo chose it (for the ground truth)."""
    core = name.removeprefix(city.removesuffix("市")).split("有限")[0].split("股份")[0]
    trade = core[:3] if len(core) > 4 else core[:2]
    kind = rng.choice(["full", "short", "sign", "typo", "phone"], p=[0.2, 0.3, 0.2, 0.15, 0.15])
    if kind == "full":
        return name, "full"
    if kind == "short":
        return core, "short"
    if kind == "sign":
        return trade + _SIGNS[int(rng.integers(0, len(_SIGNS)))], "sign"
    if kind == "typo":
        return core.translate(_TYPO), "typo"
    return f"一家公司，电话{firm_phone(index)}", "phone"


def risk_evidence(region: Region) -> None:
    """Write every risk source's deliveries and the risk ground truth."""
    pop = region.population
    rng = region.rng("riskmonitor")
    n = len(pop)
    risky = rng.choice(n, size=max(5, round(n * RISKY_SHARE)), replace=False)
    cats = list(CATEGORIES)
    firm_cats = {
        int(i): [cats[j] for j in rng.choice(len(cats), size=1 + int(rng.random() < 0.3), replace=False)]
        for i in risky
    }
    rate = {int(i): float(rng.integers(10, 48)) for i in risky}
    start = {int(i): int(rng.integers(0, MONTHS - 6)) for i in risky}
    others = np.setdiff1d(np.arange(n), risky)
    licensed = rng.choice(others, size=max(3, round(n * _LICENSED_SHARE)), replace=False)
    _licences(region, rng, licensed)
    victims = _police(region, rng, firm_cats, start)
    complaints = _hotline(region, rng, firm_cats, start, others)
    _web(region, rng, firm_cats, rate, start, others, licensed)
    truth = pl.DataFrame(
        {
            "credit_code": [pop.credit_code[i] for i in firm_cats],
            "categories": [";".join(c) for c in firm_cats.values()],
            "promised_rate_pct": [rate[i] for i in firm_cats],
            "first_month": [f"{month_of(start[i]):%Y-%m}" for i in firm_cats],
            "victims_reported": [victims.get(i, 0) for i in firm_cats],
            "complaints": [complaints.get(i, 0) for i in firm_cats],
        }
    )
    folder = region.out_dir / "ground_truth"
    folder.mkdir(parents=True, exist_ok=True)
    truth.write_csv(folder / "risk_firms.csv")


def _licences(region: Region, rng: np.random.Generator, licensed: np.ndarray) -> None:
    pop = region.population
    kinds = sorted(set(CATEGORY_LICENCE.values()) | {"小额贷款", "融资担保"})
    lines = ["统一社会信用代码,机构名称,许可类型,许可证号,有效期至"]
    for k, i in enumerate(licensed.tolist()):
        until = date(2027, 12, 31) if rng.random() > 0.1 else date(2023, 6, 30)
        code = pop.credit_code[i] if rng.random() > region.defect_rate else pop.credit_code[i][:-1] + "?"
        lines.append(f"{code},{pop.name[i]},{kinds[k % len(kinds)]},JR{440000 + k:08d},{until.isoformat()}")
    rel = "licences/financial_licences.csv"
    _write(region, rel, "\n".join(lines) + "\n", "utf-8")
    region.add(rel, "risk_licences", date(2024, 12, 31), len(lines) - 1)


def _police(
    region: Region, rng: np.random.Generator, firm_cats: dict[int, list[str]], start: dict[int, int]
) -> dict[int, int]:
    pop = region.population
    by_quarter: dict[int, list[str]] = {q: [] for q in range(MONTHS // 3)}
    victims: dict[int, int] = {}
    for i, cats in firm_cats.items():
        if rng.random() > 0.45:
            continue
        month = min(MONTHS - 1, start[i] + int(rng.integers(3, 12)))
        people = int(rng.integers(3, 400))
        victims[i] = people
        amount = people * int(rng.integers(2, 30))
        day = month_of(month) + timedelta(days=int(rng.integers(0, 28)))
        city = CITIES[pop.city[i]]
        text = f"报案人称被{CATEGORIES[cats[0]]}类平台诱导投资，承诺高额回报，现无法提现，涉及{people}人"
        by_quarter[month // 3].append(
            f"GA{day:%Y%m%d}{i:06d},{day:%Y/%m/%d},{pop.name[i]},{CATEGORIES[cats[0]]},{text},{amount},{people},{city[1]}"
        )
    for q, rows in by_quarter.items():
        if rng.random() < region.defect_rate * 10 and rows:
            rows.append("GA-broken,2024/13/45,某公司,非法集资,案情不详,abc,0,440100")
        rel = f"police/case_reports_{month_of(q * 3):%Y%m}.csv"
        header = "案件编号,报案日期,涉案主体,案由,简要案情,涉案金额(万元),受害人数,辖区"
        _write(region, rel, "\n".join([header, *rows]) + "\n", "gbk")
        region.add(rel, "risk_police", month_of(q * 3 + 3), len(rows))
    return victims


def _hotline(
    region: Region,
    rng: np.random.Generator,
    firm_cats: dict[int, list[str]],
    start: dict[int, int],
    others: np.ndarray,
) -> dict[int, int]:
    pop = region.population
    by_month: dict[int, list[str]] = {m: [] for m in range(MONTHS)}
    counts: dict[int, int] = {}
    for i in firm_cats:
        n_calls = int(rng.poisson(6))
        counts[i] = n_calls
        for _ in range(n_calls):
            month = min(MONTHS - 1, start[i] + int(rng.integers(0, 8)))
            mention, _how = _mention(rng, pop.name[i], CITIES[pop.city[i]][0], i)
            money = int(rng.integers(1, 50))
            text = f"市民反映在{mention}投了{money}万元，对方说保本保息，现在无法提现，要求处理"
            by_month[month].append(_ticket(rng, month, CITIES[pop.city[i]][1], mention, text))
    for i in rng.choice(others, size=max(10, len(pop) // 100), replace=False).tolist():
        month = int(rng.integers(0, MONTHS))
        mention, _how = _mention(rng, pop.name[i], CITIES[pop.city[i]][0], i)
        text = f"市民反映{mention}商品质量问题，退货退款迟迟不处理"
        by_month[month].append(_ticket(rng, month, CITIES[pop.city[i]][1], mention, text))
    for _ in range(max(3, len(pop) // 500)):
        month = int(rng.integers(0, MONTHS))
        text = "市民反映路边一家投资店铺承诺月息3%，不知道公司名字"
        by_month[month].append(_ticket(rng, month, "440100", "路边投资店", text))
    for m, rows in by_month.items():
        if rows and rng.random() < region.defect_rate * 10:
            rows.append(f"RX{m:04d}9999,,440100,某公司,")
        rel = f"hotline/complaints_{month_of(m):%Y%m}.csv"
        _write(
            region, rel, "\n".join(["工单号,来电日期,来电区域,被反映对象,诉求内容", *rows]) + "\n", "utf-8"
        )
        region.add(rel, "risk_hotline", month_of(m + 1), len(rows))
    return counts


def _ticket(rng: np.random.Generator, month: int, city_code: str, mention: str, text: str) -> str:
    day = month_of(month) + timedelta(days=int(rng.integers(0, 28)))
    ticket = f"RX{day:%Y%m%d}{int(rng.integers(0, 10**6)):06d}"
    return f"{ticket},{day.isoformat()},{city_code},{mention.replace(',', ' ')},{text.replace(',', '，')}"


def _web(
    region: Region,
    rng: np.random.Generator,
    firm_cats: dict[int, list[str]],
    rate: dict[int, float],
    start: dict[int, int],
    others: np.ndarray,
    licensed: np.ndarray,
) -> None:
    pop = region.population
    by_month: dict[int, list[bytes]] = {m: [] for m in range(MONTHS)}

    def page(i: int, month: int, text: str, visits: int) -> None:
        filed = rng.random() < 0.6
        kind = ["website", "app", "public_account"][int(rng.integers(0, 3))]
        day = month_of(month) + timedelta(days=int(rng.integers(0, 28)))
        record = {
            "site": f"https://{pop.credit_code[i][-6:].lower()}.example.cn",
            "kind": kind,
            "icp_credit_code": pop.credit_code[i] if filed else "",
            "operator_name": pop.name[i] if filed or rng.random() < 0.5 else "",
            "title": pop.name[i].split("有限")[0],
            "text": f"{text}，联系电话{firm_phone(i)}",
            "captured_on": day.isoformat(),
            "daily_visits": visits,
        }
        by_month[month].append(orjson.dumps(record))

    for i, cats in firm_cats.items():
        for _ in range(1 + int(rng.poisson(2))):
            month = min(MONTHS - 1, start[i] + int(rng.integers(0, 6)))
            page(i, month, risky_text(rng, cats, rate[i]), int(rng.integers(200, 50_000)))
    for i in np.concatenate(
        [licensed, rng.choice(others, size=max(20, len(pop) // 50), replace=False)]
    ).tolist():
        page(int(i), int(rng.integers(0, MONTHS)), benign_text(rng), int(rng.integers(10, 5_000)))
    for m, rows in by_month.items():
        if rows and rng.random() < region.defect_rate * 10:
            rows.append(b'{"site": "https://broken.example.cn", "text": ')
        rel = f"cncert/web_monitoring_{month_of(m):%Y%m}.jsonl"
        path = region.out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\n".join(rows) + (b"\n" if rows else b""))
        region.add(rel, "risk_web", month_of(m + 1), len(rows))


def _write(region: Region, rel: str, text: str, encoding: str) -> None:
    path = region.out_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def generate_risk_region(out_dir: Path, enterprises: int, seed: int) -> dict[str, Any]:
    """Write the risk sources' deliveries over the region's population, ``risk_manifest.json`` and truth."""
    region = Region(population=build_population(enterprises, seed), out_dir=out_dir, seed=seed)
    risk_evidence(region)
    manifest = {"enterprises": enterprises, "seed": seed, "files": region.entries}
    (out_dir / RISK_MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest
