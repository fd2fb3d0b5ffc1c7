"""A synthetic but realistic Guangdong enterprise population, shared by every module's demo deliveries.

Cities are Guangdong's prefecture-level cities under the central bank's Guangzhou branch (the 20 other
than Shenzhen, which has its own branch); industries are GB/T 4754-2017 divisions; sizes follow the
micro/small/medium/large split of the SME classification. Each enterprise has a hidden latent credit
quality that drives what departments see (tax, headcount, arrears, lawsuits) and whether and when it
later defaults: the ground truth that scoring models train and are evaluated on.

Other modules add their own deliveries over the same population: call :func:`build_population` with
the region's seed and size, and draw their randomness from :func:`rng_for` with their own stream name.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np

from bayfin.creditdata.domain import make_credit_code

#: (name, administrative division code, share of enterprises, Pearl River Delta?)
CITIES: tuple[tuple[str, str, float, bool], ...] = (
    ("广州市", "440100", 0.230, True),
    ("佛山市", "440600", 0.120, True),
    ("东莞市", "441900", 0.130, True),
    ("惠州市", "441300", 0.050, True),
    ("中山市", "442000", 0.050, True),
    ("珠海市", "440400", 0.040, True),
    ("江门市", "440700", 0.040, True),
    ("肇庆市", "441200", 0.025, True),
    ("汕头市", "440500", 0.045, False),
    ("湛江市", "440800", 0.030, False),
    ("茂名市", "440900", 0.025, False),
    ("揭阳市", "445200", 0.030, False),
    ("清远市", "441800", 0.020, False),
    ("韶关市", "440200", 0.020, False),
    ("梅州市", "441400", 0.020, False),
    ("河源市", "441600", 0.015, False),
    ("阳江市", "441700", 0.015, False),
    ("潮州市", "445100", 0.015, False),
    ("汕尾市", "441500", 0.012, False),
    ("云浮市", "445300", 0.013, False),
)

#: GB/T 4754-2017 division code, the word firms of the division put in their names, share, risk shift.
INDUSTRIES: tuple[tuple[str, str, float, float], ...] = (
    ("A01", "农业", 0.03, -0.2),
    ("C13", "食品", 0.04, 0.0),
    ("C18", "服装", 0.05, -0.2),
    ("C21", "家具", 0.03, -0.1),
    ("C33", "五金制品", 0.05, 0.0),
    ("C38", "电器", 0.05, 0.1),
    ("C39", "电子科技", 0.07, 0.2),
    ("E47", "建筑工程", 0.05, -0.3),
    ("F51", "贸易", 0.16, -0.1),
    ("F52", "商贸", 0.12, -0.1),
    ("G54", "物流", 0.04, -0.1),
    ("H62", "餐饮管理", 0.06, -0.3),
    ("I65", "信息技术", 0.07, 0.2),
    ("K70", "置业", 0.02, -0.4),
    ("L72", "企业管理咨询", 0.06, 0.0),
    ("M75", "科技", 0.04, 0.2),
)

#: size class, share, headcount range, registered capital range in 万元
SIZES: tuple[tuple[str, float, tuple[int, int], tuple[int, int]], ...] = (
    ("micro", 0.78, (1, 10), (1, 100)),
    ("small", 0.17, (10, 100), (50, 1000)),
    ("medium", 0.04, (100, 300), (500, 5000)),
    ("large", 0.01, (300, 3000), (2000, 50000)),
)

#: The first month of the region's data and how many months it covers.
START = date(2023, 1, 1)
MONTHS = 24

_TRADE_NAME_CHARS = (
    "华信达通宏盛鑫源恒泰丰瑞祥隆昌兴嘉锦鸿凯博创新安德誉乐和美星晨粤岭南珠江海天"
    "金银中广东方远洋骏腾飞扬明辉聚合正大富荣汇亿万家佳友宝康健福永利润泽群英润禾"
)
_SURNAMES = "陈李黄张梁刘林吴何郑罗谢杨周许冯叶钟邓曾蔡彭苏卢潘朱欧马余蒋胡"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文辉玲婷雪飞鹏"
_SUFFIXES = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per purpose, stable for a given seed and stream name."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def month_of(index: int) -> date:
    """The first day of the region's ``index``-th month (0 = START)."""
    y, m = divmod(START.month - 1 + index, 12)
    return date(START.year + y, m + 1, 1)


@dataclass
class Population:
    """The region's enterprises as parallel arrays (index i is one enterprise)."""

    seed: int
    credit_code: list[str]
    name: list[str]
    legal_representative: list[str]
    city: np.ndarray  # index into CITIES
    industry: np.ndarray  # index into INDUSTRIES
    size: np.ndarray  # index into SIZES
    founded: list[date]
    capital_wan: np.ndarray  # registered capital in 万元 (integer)
    headcount: np.ndarray  # typical insured headcount
    quality: np.ndarray  # latent credit quality (higher is better), hidden
    default_month: np.ndarray  # month index of default (may lie beyond the data window), -1 for none
    exporter: np.ndarray  # bool: trades across the border
    has_provident_fund: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.credit_code)

    def activity(self, months: int = MONTHS) -> np.ndarray:
        """A (n, months) factor of business activity: about 1, sliding to 0 in the year before default."""
        t = np.arange(months)[None, :]
        d = self.default_month[:, None]
        decline = np.clip((d - t) / 12.0, 0.0, 1.0)
        return np.where(d >= 0, decline, 1.0) * np.exp(0.15 * self.quality)[:, None]


def build_population(n: int, seed: int) -> Population:
    """``n`` enterprises of a Guangdong region, the same for the same seed."""
    rng = rng_for(seed, "population")
    city = rng.choice(len(CITIES), size=n, p=_norm([c[2] for c in CITIES]))
    industry = rng.choice(len(INDUSTRIES), size=n, p=_norm([i[2] for i in INDUSTRIES]))
    size = rng.choice(len(SIZES), size=n, p=_norm([s[1] for s in SIZES]))
    lo_h = np.array([SIZES[s][2][0] for s in size])
    hi_h = np.array([SIZES[s][2][1] for s in size])
    headcount = (lo_h + (hi_h - lo_h) * rng.beta(1.2, 3.0, size=n)).astype(np.int64) + 1
    lo_c = np.array([SIZES[s][3][0] for s in size])
    hi_c = np.array([SIZES[s][3][1] for s in size])
    capital = (lo_c + (hi_c - lo_c) * rng.beta(1.0, 4.0, size=n)).astype(np.int64) + 1
    age_days = (rng.gamma(2.0, 900.0, size=n)).astype(np.int64) + 30
    shift = (
        np.array([INDUSTRIES[i][3] for i in industry])
        + 0.25 * size
        + np.minimum(age_days / 3650.0, 1.0) * 0.4
    )
    quality = rng.normal(0.0, 1.0, size=n) + shift - 0.3
    p_default = 1.0 / (1.0 + np.exp(3.4 + 1.5 * quality))
    defaults = rng.random(n) < p_default
    default_month = np.where(defaults, rng.integers(9, 36, size=n), -1)
    exporter = rng.random(n) < np.where(np.isin(industry, [2, 3, 4, 5, 6, 8]), 0.15, 0.02)
    provident = rng.random(n) < np.array([0.25, 0.6, 0.9, 1.0])[size]
    offset = int(rng.integers(10_000_000, 40_000_000))
    districts = rng.integers(3, 30, size=n)
    names_rng = rng_for(seed, "names")
    trade = names_rng.integers(0, len(_TRADE_NAME_CHARS), size=(n, 3))
    three = names_rng.random(n) < 0.85
    prefix = names_rng.random(n) < 0.7
    suffix = names_rng.integers(0, len(_SUFFIXES), size=n)
    surname = names_rng.integers(0, len(_SURNAMES), size=n)
    given = names_rng.integers(0, len(_GIVEN), size=(n, 2))
    two_given = names_rng.random(n) < 0.6
    base = START.toordinal()
    codes, names, reps, founded = [], [], [], []
    for i in range(n):
        division = CITIES[city[i]][1][:4] + f"{districts[i]:02d}"
        codes.append(make_credit_code("9", "1", division, f"{offset + i * 7:08d}"[-8:]))
        chars = trade[i] if three[i] else trade[i][:2]
        word = "".join(_TRADE_NAME_CHARS[c] for c in chars)
        city_prefix = CITIES[city[i]][0].removesuffix("市") if prefix[i] else ""
        names.append(f"{city_prefix}{word}{INDUSTRIES[industry[i]][1]}{_SUFFIXES[suffix[i]]}")
        rep = _SURNAMES[surname[i]] + _GIVEN[given[i][0]] + (_GIVEN[given[i][1]] if two_given[i] else "")
        reps.append(rep)
        founded.append(date.fromordinal(base - int(age_days[i])))
    # Names are unique only within one registration authority: a few firms elsewhere share a name, so
    # deliveries keyed by name alone are sometimes ambiguous, as in real data.
    bare = np.flatnonzero(~prefix)
    if len(bare) > 1:
        for a, b in names_rng.choice(bare, size=(max(1, n // 400), 2)).tolist():
            names[b] = names[a]
    return Population(
        seed=seed,
        credit_code=codes,
        name=names,
        legal_representative=reps,
        city=city,
        industry=industry,
        size=size,
        founded=founded,
        capital_wan=capital,
        headcount=headcount,
        quality=quality,
        default_month=default_month,
        exporter=exporter,
        has_provident_fund=provident,
    )


def _norm(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.asarray(w / w.sum(), dtype=float)
