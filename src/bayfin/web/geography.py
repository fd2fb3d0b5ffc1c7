"""Guangdong's 21 prefecture-level cities: administrative division code (GB/T 2260), Chinese and
English names. The map (``static/vendor/guangdong.js``) names its features by the Chinese name."""

from __future__ import annotations

CITIES: dict[str, tuple[str, str]] = {
    "440100": ("广州市", "Guangzhou"), "440200": ("韶关市", "Shaoguan"),
    "440300": ("深圳市", "Shenzhen"), "440400": ("珠海市", "Zhuhai"),
    "440500": ("汕头市", "Shantou"), "440600": ("佛山市", "Foshan"),
    "440700": ("江门市", "Jiangmen"), "440800": ("湛江市", "Zhanjiang"),
    "440900": ("茂名市", "Maoming"), "441200": ("肇庆市", "Zhaoqing"),
    "441300": ("惠州市", "Huizhou"), "441400": ("梅州市", "Meizhou"),
    "441500": ("汕尾市", "Shanwei"), "441600": ("河源市", "Heyuan"),
    "441700": ("阳江市", "Yangjiang"), "441800": ("清远市", "Qingyuan"),
    "441900": ("东莞市", "Dongguan"), "442000": ("中山市", "Zhongshan"),
    "445100": ("潮州市", "Chaozhou"), "445200": ("揭阳市", "Jieyang"),
    "445300": ("云浮市", "Yunfu"),
}

#: GB/T 4754-2017 sections (门类).
SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农林牧渔业", "Agriculture"), "B": ("采矿业", "Mining"), "C": ("制造业", "Manufacturing"),
    "D": ("电力热力燃气", "Utilities"), "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale & retail"), "G": ("交通运输仓储", "Transport & storage"),
    "H": ("住宿和餐饮业", "Hotels & catering"), "I": ("信息技术服务", "IT services"),
    "J": ("金融业", "Finance"), "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务", "Leasing & business services"), "M": ("科学研究和技术服务", "R&D"),
    "N": ("水利环境公共设施", "Environment & public facilities"), "O": ("居民服务", "Household services"),
    "P": ("教育", "Education"), "Q": ("卫生和社会工作", "Health"), "R": ("文化体育娱乐", "Culture & sports"),
    "S": ("公共管理", "Public administration"),
}


def city_name(code: str | None, lang: str) -> str:
    """A city's name in the language (the code itself when unknown)."""
    if not code:
        return "—"
    names = CITIES.get(code[:4] + "00")
    if names is None:
        return code
    return names[0] if lang == "zh" else names[1]


def section_name(letter: str, lang: str) -> str:
    """An industry section's name in the language."""
    names = SECTIONS.get(letter)
    if names is None:
        return letter
    return names[0] if lang == "zh" else names[1]
