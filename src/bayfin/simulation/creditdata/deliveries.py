"""The credit data hub's department deliveries over a demo population, one writer per source.

Each writer draws from its own random stream, writes its files under the output directory and returns
manifest entries (path, source, as-of date, rows). Later modules add writers of their own the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bayfin.simulation.creditdata.population import CITIES, INDUSTRIES, MONTHS, Population, month_of, rng_for
from bayfin.simulation.creditdata.writers import (
    Sheet,
    damage,
    int_text,
    wan_text,
    write_csv,
    write_jsonl,
    write_xlsx,
    write_xml,
    yuan_text,
)

HALF_YEARS = (0, 6, 12, 18)
_STATUS_TEXT = ("存续", "在业")
_GRADES = ("A", "B", "M", "C", "D")


@dataclass
class Region:
    """What every writer needs: the population, where to write, the seed and the defect rate."""

    population: Population
    out_dir: Path
    seed: int
    defect_rate: float = 0.03
    entries: list[dict[str, Any]] = field(default_factory=list)

    def rng(self, stream: str) -> np.random.Generator:
        """The writer's own random stream."""
        return rng_for(self.seed, stream)

    def add(self, rel: str, source: str, as_of: date, rows: int) -> None:
        """Record one written file in the manifest."""
        self.entries.append({"path": rel, "source": source, "as_of": as_of.isoformat(), "rows": rows})


def _period_as_of(start: int, length: int) -> date:
    return month_of(start + length) + timedelta(days=14)


def _alive(pop: Population, month: int) -> np.ndarray:
    """Enterprises that still report at ``month`` (defaulters stop a few months after defaulting)."""
    return (pop.default_month < 0) | (pop.default_month + 3 > month)


def registration(region: Region) -> None:
    """市场监管 registration: a snapshot per city, then a correction delivery a year later."""
    pop = region.population
    rng = region.rng("amr_registration")
    for phase, as_of in ((0, date(2023, 1, 10)), (1, date(2024, 1, 10))):
        for c, (city, code, _share, _prd) in enumerate(CITIES):
            idx = np.flatnonzero(pop.city == c)
            capital = pop.capital_wan[idx].copy()
            status = [_STATUS_TEXT[i % 2] for i in range(len(idx))]
            if phase == 1:
                changed = rng.random(len(idx)) < 0.03
                failed = (pop.default_month[idx] >= 0) & (pop.default_month[idx] < 12)
                keep = changed | failed
                capital = np.where(changed, capital * 3 // 2 + 1, capital)
                status = ["吊销" if f else s for f, s in zip(failed, status, strict=True)]
                idx, capital = idx[keep], capital[keep]
                status = [s for s, k in zip(status, keep, strict=True) if k]
            sheet = Sheet(
                {
                    "统一社会信用代码": [pop.credit_code[i] for i in idx],
                    "企业名称": [pop.name[i] for i in idx],
                    "法定代表人": [pop.legal_representative[i] for i in idx],
                    "注册资本(万元)": int_text(capital),
                    "成立日期": [
                        f"{pop.founded[i].year}年{pop.founded[i].month}月{pop.founded[i].day}日" for i in idx
                    ],
                    "行业代码": [INDUSTRIES[pop.industry[i]][0] for i in idx],
                    "所在地市": [city] * len(idx),
                    "住所": [f"{city}{pop.credit_code[i][4:6]}区创业路{i % 300 + 1}号" for i in idx],
                    "登记状态": status,
                },
                code="统一社会信用代码",
                dates={"成立日期": "%Y年%m月%d日"},
                money=["注册资本(万元)"],
                coded=["所在地市", "登记状态"],
                required=["企业名称", "登记状态"],
            )
            damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=False)
            kind = "snapshot" if phase == 0 else "corrections"
            rel = f"amr/registration_{code}_{as_of:%Y%m}_{kind}.csv"
            region.add(rel, "amr_registration", as_of, write_csv(region.out_dir / rel, sheet, bom=True))


def _tax_values(
    pop: Population, idx: np.ndarray, start: int, rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    base = np.array([3_000, 30_000, 300_000, 2_000_000])[pop.size[idx]] * 100  # fen per month
    act = pop.activity()[idx, start : start + 6]
    paid = (base[:, None] * act * rng.lognormal(0.0, 0.25, size=act.shape)).astype(np.int64)
    sales = paid * rng.integers(8, 16, size=(len(idx), 1))
    arrears = np.where(
        (pop.quality[idx] < -1.0) & (rng.random(len(idx)) < 0.3), base * rng.integers(1, 6, size=len(idx)), 0
    )
    score = pop.quality[idx] + rng.normal(0, 0.4, size=len(idx))
    grade = np.select([score > 1.0, score > 0.0, score > -0.5, score > -1.5], [0, 1, 2, 3], 4)
    return paid, sales, arrears, grade


def tax(region: Region) -> None:
    """Tax: half-yearly per city; Pearl River Delta cities export GBK in 元, the others UTF-8 in 万元."""
    pop = region.population
    rng = region.rng("tax")
    for start in HALF_YEARS:
        as_of = _period_as_of(start, 6)
        period = month_of(start)
        alive = _alive(pop, start)
        for c, (_city, code, _share, prd) in enumerate(CITIES):
            idx = np.flatnonzero((pop.city == c) & alive)
            paid, sales, arrears, grade = _tax_values(pop, idx, start, rng)
            _write_tax(
                region,
                rng,
                idx,
                paid,
                sales,
                arrears,
                grade,
                period,
                as_of,
                prd,
                f"tax/tax_{code}_{period:%Y%m}",
            )
    # A correction delivery: some enterprises' 2023 H2 figures re-stated in spring 2024.
    idx = np.flatnonzero(rng.random(len(pop)) < 0.01)
    paid, sales, arrears, grade = _tax_values(pop, idx, 6, rng)
    for prd in (True, False):
        part = np.array([CITIES[pop.city[i]][3] == prd for i in idx], dtype=bool)
        _write_tax(
            region,
            rng,
            idx[part],
            paid[part],
            sales[part],
            arrears[part],
            grade[part],
            month_of(6),
            date(2024, 3, 1),
            prd,
            f"tax/tax_{'prd' if prd else 'region'}_202307_corrections",
        )


def _write_tax(
    region: Region,
    rng: np.random.Generator,
    idx: np.ndarray,
    paid: np.ndarray,
    sales: np.ndarray,
    arrears: np.ndarray,
    grade: np.ndarray,
    period: date,
    as_of: date,
    prd: bool,
    stem: str,
) -> None:
    pop = region.population
    codes = [pop.credit_code[i] for i in idx]
    names = [pop.name[i] for i in idx]
    if prd:
        cols = {
            "纳税人识别号": codes,
            "纳税人名称": names,
            "所属期": [f"{period:%Y%m}"] * len(idx),
            "纳税信用等级": [_GRADES[g] + "级" for g in grade],
        }
        cols |= {f"第{m + 1}月纳税额(元)": yuan_text(paid[:, m]) for m in range(6)}
        cols |= {f"第{m + 1}月开票销售额(元)": yuan_text(sales[:, m]) for m in range(6)}
        cols["欠税余额(元)"] = yuan_text(arrears)
        sheet = Sheet(
            cols,
            code="纳税人识别号",
            name="纳税人名称",
            dates={"所属期": "%Y%m"},
            money=["第1月纳税额(元)", "欠税余额(元)"],
            coded=["纳税信用等级"],
            required=["所属期"],
        )
        damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=True)
        rel = stem + ".csv"
        region.add(rel, "tax_prd", as_of, write_csv(region.out_dir / rel, sheet, encoding="gbk"))
        return
    legacy = rng.random(len(idx)) < 0.015  # older county systems export the taxpayer's name only
    cols = {
        "统一社会信用代码": ["" if legacy[k] else c for k, c in enumerate(codes)],
        "企业名称": names,
        "税款所属期": [f"{period.year}年{period.month}月"] * len(idx),
        "信用等级代码": [str(g + 1) for g in grade],
    }
    cols |= {f"纳税额{m + 1}": wan_text(paid[:, m]) for m in range(6)}
    cols |= {f"销售额{m + 1}": wan_text(sales[:, m]) for m in range(6)}
    cols["欠税"] = wan_text(arrears)
    sheet = Sheet(
        cols,
        code="统一社会信用代码",
        name="企业名称",
        dates={"税款所属期": "%Y年%m月"},
        money=["纳税额1", "欠税"],
        coded=["信用等级代码"],
        required=["税款所属期"],
    )
    damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=True)
    rel = stem + ".csv"
    region.add(rel, "tax_region", as_of, write_csv(region.out_dir / rel, sheet))


def social_security(region: Region) -> None:
    """Social insurance: half-yearly per city, insured headcount by month and arrears."""
    pop = region.population
    rng = region.rng("social_security")
    act = pop.activity()
    for start in HALF_YEARS:
        as_of = _period_as_of(start, 6)
        alive = _alive(pop, start)
        for c, (_city, code, _share, _prd) in enumerate(CITIES):
            idx = np.flatnonzero((pop.city == c) & alive)
            heads = np.maximum(
                0,
                np.rint(
                    pop.headcount[idx, None]
                    * np.minimum(act[idx, start : start + 6], 1.3)
                    * rng.normal(1.0, 0.03, size=(len(idx), 6))
                ),
            ).astype(np.int64)
            arrears = np.where(
                pop.quality[idx] < -1.2, pop.headcount[idx] * 120_000 * rng.integers(0, 3, len(idx)), 0
            )
            cols = {
                "单位统一社会信用代码": [pop.credit_code[i] for i in idx],
                "单位名称": [pop.name[i] for i in idx],
                "起始年月": [f"{month_of(start):%Y-%m}"] * len(idx),
            }
            cols |= {f"参保人数_{m + 1}": int_text(heads[:, m]) for m in range(6)}
            cols["欠费金额(元)"] = yuan_text(arrears)
            sheet = Sheet(
                cols,
                code="单位统一社会信用代码",
                name="单位名称",
                dates={"起始年月": "%Y-%m"},
                money=["欠费金额(元)"],
                counts=["参保人数_1", "参保人数_6"],
                required=["参保人数_3"],
            )
            damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=False)
            rel = f"hrss/social_insurance_{code}_{month_of(start):%Y%m}.csv"
            region.add(rel, "social_security", as_of, write_csv(region.out_dir / rel, sheet))


def utilities(region: Region) -> None:
    """Electricity and water: yearly per city, GBK, twelve monthly columns each."""
    pop = region.population
    rng = region.rng("utilities")
    act = pop.activity()
    for start in (0, 12):
        as_of = _period_as_of(start, 12)
        alive = _alive(pop, start)
        for c, (_city, code, _share, _prd) in enumerate(CITIES):
            idx = np.flatnonzero((pop.city == c) & alive & (rng.random(len(pop)) < 0.9))
            scale = pop.headcount[idx, None] * act[idx, start : start + 12]
            power = np.rint(scale * 260 * rng.lognormal(0, 0.2, size=scale.shape)).astype(np.int64)
            water = np.rint(scale * 3 * rng.lognormal(0, 0.2, size=scale.shape)).astype(np.int64)
            arrears = np.where(pop.quality[idx] < -1.4, rng.integers(100_00, 50_000_00, len(idx)), 0)
            cols = {
                "统一社会信用代码": [pop.credit_code[i] for i in idx],
                "用户名称": [pop.name[i] for i in idx],
                "起始月份": [f"{month_of(start):%Y%m}"] * len(idx),
            }
            cols |= {f"{m + 1}月用电量(千瓦时)": int_text(power[:, m]) for m in range(12)}
            cols |= {f"{m + 1}月用水量(立方米)": int_text(water[:, m]) for m in range(12)}
            cols["欠费金额(元)"] = yuan_text(arrears)
            sheet = Sheet(
                cols,
                code="统一社会信用代码",
                name="用户名称",
                dates={"起始月份": "%Y%m"},
                money=["欠费金额(元)"],
                counts=["1月用电量(千瓦时)", "7月用水量(立方米)"],
                required=["6月用电量(千瓦时)"],
            )
            damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=True)
            rel = f"utilities/utility_{code}_{month_of(start):%Y}.csv"
            region.add(rel, "utilities", as_of, write_csv(region.out_dir / rel, sheet, encoding="gbk"))


def provident_fund(region: Region) -> None:
    """Housing provident fund: one yearly Excel workbook for the province."""
    pop = region.population
    rng = region.rng("provident_fund")
    act = pop.activity()
    for start in (0, 12):
        as_of = _period_as_of(start, 12)
        idx = np.flatnonzero(pop.has_provident_fund & _alive(pop, start))
        people = np.maximum(
            0, np.rint(pop.headcount[idx, None] * 0.6 * np.minimum(act[idx, start : start + 12], 1.2))
        )
        arrears = np.where(pop.quality[idx] < -1.3, rng.integers(1_000_00, 90_000_00, len(idx)), 0)
        cols = {
            "单位统一社会信用代码": [pop.credit_code[i] for i in idx],
            "单位名称": [pop.name[i] for i in idx],
            "缴存年月起": [f"{month_of(start):%Y-%m}"] * len(idx),
        }
        cols |= {f"缴存人数{m + 1}月": int_text(people[:, m]) for m in range(12)}
        cols["欠缴金额(元)"] = yuan_text(arrears)
        sheet = Sheet(
            cols,
            code="单位统一社会信用代码",
            name="单位名称",
            dates={"缴存年月起": "%Y-%m"},
            money=["欠缴金额(元)"],
            counts=["缴存人数1月"],
            required=["缴存人数12月"],
        )
        damage(sheet, rng, region.defect_rate, as_of, text_lines=False, allow_encoding=False)
        rel = f"housing_fund/provident_fund_{month_of(start):%Y}.xlsx"
        region.add(rel, "provident_fund", as_of, write_xlsx(region.out_dir / rel, sheet))


def customs(region: Region) -> None:
    """Customs: half-yearly XML for the province's importers and exporters."""
    pop = region.population
    rng = region.rng("customs")
    act = pop.activity()
    levels = ("高级认证企业", "一般认证企业", "一般信用企业", "失信企业")
    for start in HALF_YEARS:
        as_of = _period_as_of(start, 6)
        idx = np.flatnonzero(pop.exporter & _alive(pop, start))
        base = (pop.headcount[idx] * 150_000_00)[:, None] * act[idx, start : start + 6]
        exports = (base * rng.lognormal(0, 0.3, size=base.shape)).astype(np.int64)
        imports = (base * 0.4 * rng.lognormal(0, 0.4, size=base.shape)).astype(np.int64)
        q = pop.quality[idx]
        level = np.select([q > 1.2, q > 0.3, q > -1.5], [0, 1, 2], 3)
        cols = {
            "USCC": [pop.credit_code[i] for i in idx],
            "ENT_NAME": [pop.name[i] for i in idx],
            "PERIOD": [f"{month_of(start):%Y%m}"] * len(idx),
            "CREDIT_LEVEL": [levels[v] for v in level],
        }
        cols |= {f"IMP_{m + 1}": wan_text(imports[:, m]) for m in range(6)}
        cols |= {f"EXP_{m + 1}": wan_text(exports[:, m]) for m in range(6)}
        sheet = Sheet(
            cols,
            code="USCC",
            name="ENT_NAME",
            dates={"PERIOD": "%Y%m"},
            money=["EXP_1", "IMP_2"],
            coded=["CREDIT_LEVEL"],
            required=["PERIOD"],
        )
        damage(sheet, rng, region.defect_rate, as_of, text_lines=False, allow_encoding=False)
        rel = f"customs/customs_{month_of(start):%Y%m}.xml"
        region.add(rel, "customs", as_of, write_xml(region.out_dir / rel, sheet, "RECORD", "DATA"))


def _events(
    region: Region, stream: str, rate: Callable[[np.ndarray], np.ndarray], start: int
) -> tuple[np.ndarray, np.random.Generator]:
    pop = region.population
    rng = region.rng(f"{stream}_{start}")
    near_default = (pop.default_month >= 0) & (pop.default_month < start + 12)
    lam = rate(pop.quality) * np.where(near_default, 4.0, 1.0)
    counts = rng.poisson(lam)
    return np.repeat(np.arange(len(pop)), counts), rng


def courts(region: Region) -> None:
    """Courts: half-yearly JSON lines of cases; older systems give the party's name only."""
    pop = region.population
    kinds = ("民事一审", "民事二审", "执行", "失信被执行人")
    for start in HALF_YEARS:
        as_of = _period_as_of(start, 6)
        idx, rng = _events(region, "courts", lambda q: 0.03 * np.exp(-0.9 * q), start)
        kind = rng.choice(4, size=len(idx), p=[0.5, 0.1, 0.3, 0.1])
        role = np.where(kind >= 2, "被执行人", np.where(rng.random(len(idx)) < 0.6, "被告", "原告"))
        day = rng.integers(0, 180, size=len(idx))
        filed = [month_of(start) + timedelta(days=int(d)) for d in day]
        amount = rng.lognormal(11.5, 1.2, size=len(idx)).astype(np.int64) * 100
        name_only = rng.random(len(idx)) < 0.2
        code_word = ("民初", "民终", "执", "执")
        sheet = Sheet(
            {
                "案号": [
                    f"({f.year})粤{CITIES[pop.city[i]][1][2:4]}{n % 90 + 1:02d}"
                    f"{code_word[k]}{n + start * 100000}号"
                    for n, (i, k, f) in enumerate(zip(idx, kind, filed, strict=True))
                ],
                "当事人名称": [pop.name[i] for i in idx],
                "当事人统一社会信用代码": [
                    "" if no else pop.credit_code[i] for i, no in zip(idx, name_only, strict=True)
                ],
                "诉讼地位": role.tolist(),
                "案件类型": [kinds[k] for k in kind],
                "立案日期": [f"{f.year}年{f.month}月{f.day}日" for f in filed],
                "标的金额": yuan_text(amount),
                "案件状态": [
                    ("审理中", "已结案", "执行中", "已执结")[(k + n) % 4] for n, k in enumerate(kind)
                ],
            },
            code="当事人统一社会信用代码",
            name="当事人名称",
            dates={"立案日期": "%Y年%m月%d日"},
            money=["标的金额"],
            coded=["诉讼地位", "案件类型"],
            required=["案号"],
        )
        damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=False)
        rel = f"courts/cases_{month_of(start):%Y%m}.jsonl"
        region.add(rel, "courts", as_of, write_jsonl(region.out_dir / rel, sheet))


def market_supervision_events(region: Region) -> None:
    """Abnormal-operation listings (JSON lines) and administrative penalties (CSV), half-yearly."""
    pop = region.population
    reasons = (
        "通过登记的住所或者经营场所无法联系",
        "未按规定期限公示年度报告",
        "未在责令期限内公示有关企业信息",
    )
    violations = ("虚假宣传", "无照经营", "产品质量不合格", "价格违法", "未按规定公示信息")
    for start in HALF_YEARS:
        as_of = _period_as_of(start, 6)
        idx, rng = _events(region, "abnormal", lambda q: 0.01 * np.exp(-1.0 * q), start)
        idx = np.unique(idx)
        listed = [month_of(start) + timedelta(days=int(d)) for d in rng.integers(0, 180, size=len(idx))]
        removed = [
            (d + timedelta(days=200)).strftime("%Y%m%d")
            if r < 0.3 and d + timedelta(days=200) <= as_of
            else ""
            for d, r in zip(listed, rng.random(len(idx)), strict=True)
        ]
        sheet = Sheet(
            {
                "uniscid": [pop.credit_code[i] for i in idx],
                "entName": [pop.name[i] for i in idx],
                "abntime": [d.strftime("%Y%m%d") for d in listed],
                "speCause": [reasons[i % 3] for i in idx],
                "decorg": [CITIES[pop.city[i]][0] + "市场监督管理局" for i in idx],
                "remDate": removed,
            },
            code="uniscid",
            name="entName",
            dates={"abntime": "%Y%m%d"},
            required=["abntime"],
        )
        damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=False)
        rel = f"amr/abnormal_operation_{month_of(start):%Y%m}.jsonl"
        region.add(rel, "amr_abnormal", as_of, write_jsonl(region.out_dir / rel, sheet))

        idx, rng = _events(region, "penalty", lambda q: 0.008 * np.exp(-0.8 * q), start)
        decided = [month_of(start) + timedelta(days=int(d)) for d in rng.integers(0, 180, size=len(idx))]
        fines = rng.integers(5, 2000, size=len(idx)) * 100_00
        sheet = Sheet(
            {
                "行政相对人统一社会信用代码": [pop.credit_code[i] for i in idx],
                "行政相对人名称": [pop.name[i] for i in idx],
                "处罚决定书文号": [
                    f"粤{CITIES[pop.city[i]][0][:2]}市监罚〔{d.year}〕{n + start * 10000}号"
                    for n, (i, d) in enumerate(zip(idx, decided, strict=True))
                ],
                "处罚决定日期": [d.isoformat() for d in decided],
                "处罚机关": [CITIES[pop.city[i]][0] + "市场监督管理局" for i in idx],
                "违法行为类型": [violations[n % 5] for n in range(len(idx))],
                "罚款金额(元)": yuan_text(fines),
            },
            code="行政相对人统一社会信用代码",
            name="行政相对人名称",
            dates={"处罚决定日期": "%Y-%m-%d"},
            money=["罚款金额(元)"],
            required=["处罚决定书文号"],
        )
        damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=False)
        rel = f"amr/administrative_penalty_{month_of(start):%Y%m}.csv"
        region.add(rel, "amr_penalty", as_of, write_csv(region.out_dir / rel, sheet))


def intellectual_property(region: Region) -> None:
    """Patents, trademarks and high-tech certificates granted to the region's firms, one delivery."""
    pop = region.population
    rng = region.rng("ip")
    as_of = month_of(MONTHS) + timedelta(days=30)
    kinds = ("发明专利", "实用新型", "外观设计", "注册商标", "高新技术企业证书")
    lam = np.where(np.isin(pop.industry, [6, 12, 15]), 0.8, 0.1) * np.exp(0.4 * pop.quality)
    idx = np.repeat(np.arange(len(pop)), rng.poisson(lam))
    kind = rng.choice(5, size=len(idx), p=[0.2, 0.35, 0.1, 0.3, 0.05])
    granted = [date(2019, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 2190, size=len(idx))]
    sheet = Sheet(
        {
            "统一社会信用代码": [pop.credit_code[i] for i in idx],
            "权利人": [pop.name[i] for i in idx],
            "登记号": [
                f"{('ZL', 'ZL', 'ZL', 'TM', 'GR')[k]}{g.year}{n:07d}"
                for n, (k, g) in enumerate(zip(kind, granted, strict=True))
            ],
            "类型": [kinds[k] for k in kind],
            "名称": [f"一种{INDUSTRIES[pop.industry[i]][1]}装置" for i in idx],
            "授权日期": [g.strftime("%Y%m%d") for g in granted],
        },
        code="统一社会信用代码",
        name="权利人",
        dates={"授权日期": "%Y%m%d"},
        coded=["类型"],
        required=["登记号"],
    )
    damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=False)
    rel = f"ip/intellectual_property_{as_of:%Y%m}.csv"
    region.add(rel, "ip", as_of, write_csv(region.out_dir / rel, sheet, bom=True))


#: The hub's writers in delivery order (registration first, so names resolve).
HUB_WRITERS: tuple[Callable[[Region], None], ...] = (
    registration,
    tax,
    social_security,
    utilities,
    provident_fund,
    customs,
    courts,
    market_supervision_events,
    intellectual_property,
)
