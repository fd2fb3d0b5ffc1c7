"""Pure rules of risk monitoring: categories, rule tags, promised returns, entity linking, levels.

No I/O here: the service loads evidence and registrations, these functions decide.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher

#: Risk categories as Guangzhou's monitoring centre separates them (a firm can be in several).
CATEGORIES: dict[str, str] = {
    "illegal_fundraising": "非法集资",
    "unlicensed_securities": "非法证券",
    "unlicensed_futures": "非法期货",
    "unlicensed_fx": "非法外汇",
    "unlicensed_precious_metals": "非法贵金属",
    "unlicensed_payments": "非法支付",
    "virtual_tokens": "虚拟货币",
}

#: The licence a category's business needs (a licensed firm is not "unlicensed" for it).
CATEGORY_LICENCE: dict[str, str] = {
    "unlicensed_securities": "证券",
    "unlicensed_futures": "期货",
    "unlicensed_fx": "外汇",
    "unlicensed_precious_metals": "贵金属",
    "unlicensed_payments": "支付",
    "illegal_fundraising": "理财",
}

#: Keyword rules per category: a hit is evidence of that category's business in the text.
CATEGORY_RULES: dict[str, re.Pattern[str]] = {
    "illegal_fundraising": re.compile(r"保本保息|稳赚不赔|月月分红|高额回报|保本|定期返息|养老项目|众筹认购"),
    "unlicensed_securities": re.compile(r"荐股|涨停|股票配资|内幕消息|内部消息|牛股|原始股"),
    "unlicensed_futures": re.compile(r"期货|原油|代客操盘|外盘"),
    "unlicensed_fx": re.compile(r"外汇|MT4|MT5|点差|保证金交易"),
    "unlicensed_precious_metals": re.compile(r"现货黄金|伦敦金|贵金属|白银|喊单"),
    "unlicensed_payments": re.compile(r"跑分|代收代付|第四方支付|支付通道|POS机"),
    "virtual_tokens": re.compile(r"虚拟币|数字货币|USDT|挖矿|空投|币圈|发币|区块链钱包"),
}

#: Tags besides the categories, with the rule that finds each in text.
TEXT_TAG_RULES: dict[str, re.Pattern[str]] = {
    "guaranteed_return": re.compile(r"保本保息|稳赚不赔|保本|零风险|稳定收益|年化\s*\d+(?:\.\d+)?\s*%"),
    "referral_pyramid": re.compile(r"推荐好友|拉人头|返佣|下线|团队奖励|直推|层级奖励"),
    "fund_withdrawal_blocked": re.compile(r"无法提现|提不了现|不能提现|跑路|失联|联系不上|打不通"),
}

#: Every tag name with its Chinese label.
TAGS: dict[str, str] = {
    "guaranteed_return": "承诺保本高收益",
    "referral_pyramid": "拉人头返佣",
    "fund_withdrawal_blocked": "无法兑付/失联",
    "unlicensed_finance": "无牌经营金融业务",
    "complaint_surge": "投诉激增",
    "police_case": "涉案报警",
    "frequent_changes": "频繁变更法人或地址",
    "capital_mismatch": "注册资本与人员纳税不符",
    "related_risky_firms": "关联企业涉险",
    **{f"category:{k}": v for k, v in CATEGORIES.items()},
}

_RATE = re.compile(r"(?:年化|年收益|年利率|收益率)[^\d]{0,6}(\d{1,3}(?:\.\d+)?)\s*%")
_MONTHLY = re.compile(r"(?:月息|月收益|每月返)[^\d]{0,4}(\d{1,2}(?:\.\d+)?)\s*%")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-\d{7,8})(?!\d)")

#: The market's one-year rate (LPR, in basis points) against which a promised return is a lure.
MARKET_RATE_BP = 345


def promised_rate_bp(text: str) -> int | None:
    """The highest annual return a text promises, in basis points (monthly rates annualised)."""
    rates = [round(float(m) * 100) for m in _RATE.findall(text)]
    rates += [round(float(m) * 1200) for m in _MONTHLY.findall(text)]
    return max(rates) if rates else None


def phones_in(text: str) -> list[str]:
    """Telephone numbers written in a text, in order."""
    return _PHONE.findall(text)


def rule_hits(text: str) -> dict[str, str]:
    """Tags and categories whose rules match, each with the matched snippet."""
    hits: dict[str, str] = {}
    for name, pattern in TEXT_TAG_RULES.items():
        if m := pattern.search(text):
            hits[name] = snippet(text, m.start(), m.end())
    for name, pattern in CATEGORY_RULES.items():
        if m := pattern.search(text):
            hits[f"category:{name}"] = snippet(text, m.start(), m.end())
    return hits


def snippet(text: str, start: int, end: int, around: int = 24) -> str:
    """The matched words with some text either side, for an analyst to read."""
    return text[max(0, start - around) : end + around]


# ---------------------------------------------------------------------------------------------- linking

_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")
_GENERIC = (
    "投资", "理财", "财富", "资产管理", "资产", "金融", "咨询", "管理", "科技", "信息技术", "电子科技",
    "贸易", "商贸", "物流", "置业", "餐饮管理", "企业管理咨询", "建筑工程", "五金制品", "电器", "服装",
    "家具", "食品", "农业", "集团", "门店", "分店", "中心",
)  # fmt: skip


#: Guangdong's prefecture-level cities (地级市), stripped from firm names and mentions before matching.
CITY_NAMES: tuple[str, ...] = (
    "广州市", "佛山市", "东莞市", "惠州市", "中山市", "珠海市", "江门市", "肇庆市", "汕头市", "湛江市",
    "茂名市", "揭阳市", "清远市", "韶关市", "梅州市", "河源市", "阳江市", "潮州市", "汕尾市", "云浮市",
)  # fmt: skip


def core_name(name: str, city_names: tuple[str, ...] = ()) -> str:
    """A firm's distinctive words: the name without city, legal-form suffix or generic business words."""
    core = name.strip()
    for city in city_names:
        for prefix in (city, city.removesuffix("市")):
            if prefix and core.startswith(prefix):
                core = core[len(prefix) :]
                break
    for suffix in _SUFFIXES:
        core = core.removesuffix(suffix)
    for word in sorted(_GENERIC, key=len, reverse=True):
        core = core.replace(word, "")
    return core or name


@dataclass(frozen=True)
class LinkResult:
    """A mention linked (or not) to a credit code, with confidence and the candidates weighed."""

    credit_code: str | None
    confidence: float
    method: str
    candidates: tuple[tuple[str, float], ...] = ()


@dataclass
class EntityIndex:
    """Names, name cores and phones of registered firms, for linking free-text mentions to codes."""

    city_names: tuple[str, ...] = ()
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_bigram: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    core_of: dict[str, str] = field(default_factory=dict)
    city_of: dict[str, str] = field(default_factory=dict)
    by_phone: dict[str, str] = field(default_factory=dict)

    def add(self, credit_code: str, name: str, city_code: str | None = None) -> None:
        """Register one firm's name."""
        self.by_name[name].append(credit_code)
        core = core_name(name, self.city_names)
        self.core_of[credit_code] = core
        if city_code:
            self.city_of[credit_code] = city_code
        for gram in _bigrams(core):
            self.by_bigram[gram].add(credit_code)

    def add_phone(self, phone: str, credit_code: str) -> None:
        """A phone seen on a firm's own filed website or app belongs to that firm."""
        self.by_phone[phone] = credit_code

    def link(self, mention: str | None, text: str = "", city_code: str | None = None) -> LinkResult:
        """The firm a mention (name, variant, shop sign) or a phone in the text most likely means."""
        mention = (mention or "").strip()
        if mention in self.by_name:
            codes = self.by_name[mention]
            if len(codes) == 1:
                return LinkResult(codes[0], 0.99, "exact_name", ((codes[0], 0.99),))
            local = [c for c in codes if city_code and self.city_of.get(c) == city_code]
            if len(local) == 1:
                return LinkResult(local[0], 0.85, "exact_name_city", tuple((c, 0.5) for c in codes))
            return LinkResult(None, 0.5, "ambiguous_name", tuple((c, 0.5) for c in codes))
        for phone in phones_in(text) + phones_in(mention):
            if phone in self.by_phone:
                code = self.by_phone[phone]
                return LinkResult(code, 0.9, "phone", ((code, 0.9),))
        if not mention:
            return LinkResult(None, 0.0, "no_mention")
        core = core_name(mention, self.city_names)
        pool: dict[str, int] = defaultdict(int)
        for gram in _bigrams(core):
            for code in self.by_bigram.get(gram, ()):
                pool[code] += 1
        if not pool:
            return LinkResult(None, 0.0, "no_candidate")
        best = sorted(pool, key=lambda c: -pool[c])[:50]
        scored = []
        for code in best:
            sim = SequenceMatcher(None, core, self.core_of[code]).ratio()
            if city_code and self.city_of.get(code) == city_code:
                sim = min(1.0, sim + 0.1)
            scored.append((code, round(sim, 3)))
        scored.sort(key=lambda cs: -cs[1])
        top = tuple(scored[:5])
        code, sim = top[0]
        ties = sum(1 for _c, s in top if s >= sim - 0.02)
        confidence = round(sim / ties, 3)
        return LinkResult(code if confidence >= LINK_THRESHOLD else None, confidence, "fuzzy_name", top)


#: Below this confidence a mention goes to the review queue instead of being attached to a firm.
LINK_THRESHOLD = 0.75


def _bigrams(text: str) -> set[str]:
    # Adjacent pairs and pairs one character apart, so one misspelt character still shares a key.
    grams = {text[i : i + 2] for i in range(len(text) - 1)}
    grams |= {text[i] + "_" + text[i + 2] for i in range(len(text) - 2)}
    return grams or {text}


# ------------------------------------------------------------------------------------------ index levels

#: Level boundaries of the 0–100 index: (lowest score, level), highest first.
LEVELS: tuple[tuple[float, str], ...] = (
    (80.0, "critical"),
    (60.0, "high"),
    (40.0, "attention"),
    (0.0, "normal"),
)
LEVEL_RANK = {"normal": 0, "attention": 1, "high": 2, "critical": 3}


def level_of(score: float) -> str:
    """The level of an index value."""
    for bound, name in LEVELS:
        if score >= bound:
            return name
    return "normal"
