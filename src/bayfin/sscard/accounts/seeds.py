"""The seed: the 13 cooperating banks, the 53 registered e-card channels and default limits."""

from __future__ import annotations

# (id, name, six-digit issuer identification number). Configurable: `bayfin sscard banks add`.
BANKS: list[tuple[str, str, str]] = [
    ("ICBC", "Industrial and Commercial Bank of China, Guangdong", "622202"),
    ("ABC", "Agricultural Bank of China, Guangdong", "622848"),
    ("BOC", "Bank of China, Guangdong", "621661"),
    ("CCB", "China Construction Bank, Guangdong", "621700"),
    ("BOCOM", "Bank of Communications, Guangdong", "622260"),
    ("PSBC", "Postal Savings Bank of China, Guangdong", "621799"),
    ("CGB", "China Guangfa Bank", "622568"),
    ("CMB", "China Merchants Bank", "621483"),
    ("CITIC", "China CITIC Bank, Guangzhou", "621771"),
    ("SPDB", "Shanghai Pudong Development Bank, Guangzhou", "622521"),
    ("GRCB", "Guangzhou Rural Commercial Bank", "621058"),
    ("GZCB", "Bank of Guangzhou", "621418"),
    ("SRCB", "Shunde Rural Commercial Bank", "621322"),
]

_CHANNEL_KINDS = [
    ("gov", "Government service app", ["Yueshengshi (粤省事)", "Guangdong Government Services",
                                       "Guangzhou Suikuaiban", "Shenzhen iShenzhen", "Zhuhai Zhuhaitong",
                                       "Foshan Fotong", "Dongguan Wanshitong", "Zhongshan Zhongshantong",
                                       "Huizhou Huitong", "Jiangmen Yimentong", "Zhaoqing Zhaotong",
                                       "National Social Insurance Public Service Platform",
                                       "National Medical Insurance Service Platform"]),
    ("bank", "Bank app", [name for _, name, _ in BANKS]),
    ("wallet", "Payment wallet", ["Alipay", "WeChat Pay", "UnionPay Cloud QuickPass", "JD Pay",
                                  "Meituan Pay", "Douyin Pay", "Huawei Wallet"]),
    ("mini", "Mini-program", [f"{city} Social Security mini-program" for city in (
        "Guangzhou", "Shenzhen", "Zhuhai", "Shantou", "Foshan", "Shaoguan", "Heyuan", "Meizhou",
        "Huizhou", "Shanwei", "Dongguan", "Zhongshan", "Jiangmen", "Yangjiang", "Zhanjiang",
        "Maoming", "Zhaoqing", "Qingyuan", "Chaozhou", "Jieyang")]),
]


def seeded_channels() -> list[tuple[str, str, str]]:
    """The 53 seeded channels as (id, name, kind)."""
    out = []
    for kind, _label, names in _CHANNEL_KINDS:
        for i, name in enumerate(names, start=1):
            out.append((f"{kind}-{i:02d}", name, kind))
    return out


# Daily cross-border limits per transaction type, in CNY fen (configurable per deployment).
TYPE_LIMITS: dict[str, int] = {"purchase": 5_000_000, "withdrawal": 2_000_000, "transfer": 5_000_000,
                               "authorization": 5_000_000}
DEFAULT_CARD_DAILY_LIMIT = 10_000_000  # 100,000 yuan across all types
# Middle rates (CNY per unit) and the spread charged to holders, used when no day's rate is loaded.
DEFAULT_RATES = {344: ("0.92130000", "0.005"), 446: ("0.89450000", "0.005")}
