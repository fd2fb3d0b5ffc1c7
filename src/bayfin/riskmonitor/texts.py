"""Generated Chinese text for the demo's evidence and for training the classifier (labelled by category).

Phrases are drawn per category from several pools, shuffled and mixed with neutral business words, so
no one keyword gives a text away and the classifier has to weigh many.
"""

from __future__ import annotations

import numpy as np

PHRASES: dict[str, tuple[str, ...]] = {
    "illegal_fundraising": (
        "保本保息", "月月分红", "养老项目认购", "高额回报", "定期返息", "投资{r}万起", "项目众筹",
        "签订借款合同", "到期还本", "会员积分理财", "股权认购计划", "农业合作社入股",
    ),
    "unlicensed_securities": (
        "老师带你抓涨停", "内部消息荐股", "股票配资一比十", "VIP会员群", "原始股即将上市", "牛股推荐",
        "私募内部份额", "打新必中",
    ),
    "unlicensed_futures": (
        "原油期货", "外盘期货", "代客操盘", "恒指期货日内", "期货喊单群", "微盘交易",
    ),
    "unlicensed_fx": (
        "外汇保证金交易", "MT4平台", "杠杆一百倍", "点差最低", "美元兑日元", "外汇跟单",
    ),
    "unlicensed_precious_metals": (
        "现货黄金", "伦敦金", "白银投资", "贵金属交易中心", "分析师喊单", "黄金T+D",
    ),
    "unlicensed_payments": (
        "跑分平台", "代收代付", "第四方支付", "支付通道出租", "POS机套现", "聚合收款码",
    ),
    "virtual_tokens": (
        "数字货币", "虚拟币投资", "USDT兑换", "云算力挖矿", "空投糖果", "币圈社群", "发币上所",
        "区块链钱包",
    ),
}  # fmt: skip

LURES: tuple[str, ...] = ("年化{rate}%", "稳赚不赔", "保本保息", "月息{month}%", "零风险", "稳定收益")
REFERRALS: tuple[str, ...] = ("推荐好友返佣{k}%", "拉人头奖励", "团队奖励", "直推奖", "发展下线有提成")

#: Licensed finance and ordinary commerce: texts that must not be flagged.
BENIGN: tuple[str, ...] = (
    "理财产品有风险投资需谨慎", "过往业绩不代表未来表现", "本公司持有金融许可证", "请通过官方渠道购买",
    "新品上市欢迎选购", "全场包邮七天无理由退货", "招聘销售人员", "诚信经营", "企业年会", "节日促销",
    "工程质量保证", "售后服务热线", "产品质量检测合格", "欢迎来电咨询合作", "仓储物流配送", "餐饮加盟",
    "基金销售需持牌", "股票市场有风险", "本行存款受存款保险保障", "黄金饰品专柜", "外汇牌价仅供参考",
)  # fmt: skip

NEUTRAL: tuple[str, ...] = (
    "公司", "平台", "客户", "服务", "专业", "团队", "欢迎", "咨询", "电话", "地址", "官网", "微信",
    "扫码", "下载", "注册", "会员", "活动", "今天", "机会", "合作",
)  # fmt: skip


def risky_text(rng: np.random.Generator, categories: list[str], rate_pct: float, lure: bool = True) -> str:
    """A promotional text of a firm doing the given categories of risky business."""
    parts: list[str] = []
    for cat in categories:
        pool = PHRASES[cat]
        parts += [
            pool[i]
            for i in rng.choice(len(pool), size=min(len(pool), int(rng.integers(2, 4))), replace=False)
        ]
    if lure:
        parts.append(LURES[int(rng.integers(0, len(LURES)))])
        if rng.random() < 0.6:
            parts.append(REFERRALS[int(rng.integers(0, len(REFERRALS)))])
    parts += [NEUTRAL[i] for i in rng.integers(0, len(NEUTRAL), size=3)]
    if rng.random() < 0.2:
        parts.append(BENIGN[int(rng.integers(0, len(BENIGN)))])
    rng.shuffle(parts)
    return "，".join(parts).format(
        r=int(rng.integers(1, 20)),
        rate=f"{rate_pct:g}",
        month=f"{rate_pct / 12:.1f}",
        k=int(rng.integers(3, 15)),
    )


def benign_text(rng: np.random.Generator) -> str:
    """A text of lawful business, sometimes from licensed finance, that must not be flagged."""
    parts = [BENIGN[i] for i in rng.choice(len(BENIGN), size=3, replace=False)]
    parts += [NEUTRAL[i] for i in rng.integers(0, len(NEUTRAL), size=3)]
    rng.shuffle(parts)
    return "，".join(parts)


def training_set(seed: int, per_category: int = 300) -> tuple[list[str], list[list[str]]]:
    """Labelled texts (multi-label: a text may show several categories) for training the classifier."""
    rng = np.random.default_rng([seed, 1709])
    texts: list[str] = []
    labels: list[list[str]] = []
    cats = list(PHRASES)
    for _ in range(per_category * len(cats)):
        k = 1 + int(rng.random() < 0.25)
        chosen = [cats[i] for i in rng.choice(len(cats), size=k, replace=False)]
        texts.append(risky_text(rng, chosen, float(rng.integers(8, 40)), lure=rng.random() < 0.7))
        labels.append(chosen)
    for _ in range(per_category * 3):
        texts.append(benign_text(rng))
        labels.append([])
    return texts, labels
