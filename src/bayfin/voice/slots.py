"""Slot extraction from Chinese and English utterances: amount (fen), payee, account, date."""

from __future__ import annotations

import re

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
EN_SMALL = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
     "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
EN_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
RELATIVE_ZH = {"今天": "today", "明天": "tomorrow", "后天": "day_after_tomorrow"}
RELATIVE_EN = {"today": "today", "tomorrow": "tomorrow", "the day after tomorrow": "day_after_tomorrow"}
ACCOUNT_KINDS_ZH = {"信用卡": "credit", "储蓄卡": "savings", "借记卡": "savings", "社保卡": "sscard"}
ACCOUNT_KINDS_EN = {"credit card": "credit", "savings account": "savings", "debit card": "savings",
                    "social security card": "sscard"}

_CN_NUM = "零〇一二两三四五六七八九十百千万"
_EN_NUM_WORDS = "|".join([*EN_SMALL, *EN_TENS, "hundred", "thousand", "and"])
_AMOUNT_ZH = re.compile(rf"(\d+(?:\.\d{{1,2}})?|[{_CN_NUM}]+)\s*(元|块钱|块)")
_AMOUNT_EN = re.compile(rf"(\d+(?:\.\d{{1,2}})?|(?:(?:{_EN_NUM_WORDS})\s*)+)\s*(yuan|dollars|rmb|kuai)\b")
_PAYEE_ZH = re.compile(r"(?:给|转给|向|汇给)([\u4e00-\u9fff]{2,3}?)"
                       r"(?=[转汇充发交还用从尾帮请麻小我打去进怎的，吧呀]|\d|[" + _CN_NUM + r"]|$)")
_STOP_EN = r"(?:on|from|today|tomorrow|next|please|now|thanks)\b"
_PAYEE_EN = re.compile(r"(?<!me )(?<!go )(?<!want )(?<!like )(?<!need )\bto "
                       r"(my (?:mother|father|son|daughter|wife|husband)|(?!" + _STOP_EN + r")[a-z]+"
                       r"(?: (?!" + _STOP_EN + r")[a-z]+)?)"
                       r"(?= \d| (?:" + _EN_NUM_WORDS + r")\b| " + _STOP_EN + r"|$)")
_ACCOUNT_TAIL_ZH = re.compile(r"尾号\s*(\d{4})")
_ACCOUNT_TAIL_EN = re.compile(r"(?:account|card) ending (?:in )?(\d{4})")
_DATE_ISO = re.compile(r"(\d{4})[-年](\d{1,2})[-月](\d{1,2})日?")
_NEXT_WEEKDAY_ZH = re.compile(r"下(?:周|星期)([一二三四五六日天])")
_NEXT_WEEKDAY_EN = re.compile(r"\bnext (" + "|".join(WEEKDAYS_EN) + r")\b")
_NON_PAYEE_EN = {"pay", "a", "the", "card", "hong", "my", "me", "go", "do", "school", "parents"}


def chinese_number(text: str) -> int | None:
    """Value of a Chinese numeral such as 一千二百五十 or 两万 (None if not one)."""
    if not text or any(ch not in _CN_NUM for ch in text):
        return None
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            section += (digit or 1) * CN_UNITS[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10_000
            section, digit = 0, 0
    return total + section + digit


def english_number(text: str) -> int | None:
    """Value of English number words such as 'two thousand five hundred' (None if not one)."""
    total, current, seen = 0, 0, False
    for word in text.split():
        if word in EN_SMALL:
            current += EN_SMALL[word]
        elif word in EN_TENS:
            current += EN_TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        elif word == "and":
            continue
        else:
            return None
        seen = True
    return total + current if seen else None


def _to_fen(number: str) -> int | None:
    if re.fullmatch(r"\d+(?:\.\d{1,2})?", number):
        whole, _, frac = number.partition(".")
        return int(whole) * 100 + int((frac + "00")[:2])
    value = chinese_number(number)
    if value is None:
        value = english_number(number.strip())
    return None if value is None else value * 100


def extract_slots(text: str) -> dict[str, str | int]:
    """The slots found in one utterance: amount in fen, payee, account, date (normalised tokens)."""
    zh = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    t = text if zh else text.lower()
    found: dict[str, str | int] = {}
    m = (_AMOUNT_ZH if zh else _AMOUNT_EN).search(t)
    if m and (fen := _to_fen(m.group(1).strip())) is not None and fen > 0:
        found["amount"] = fen
    if zh:
        if (m := _PAYEE_ZH.search(t)) and not m.group(1).startswith(("我", "自己")):
            found["payee"] = m.group(1)
    else:
        for m in _PAYEE_EN.finditer(t):
            if m.group(1).split()[0] not in _NON_PAYEE_EN - {"my"} and m.group(1) not in _NON_PAYEE_EN:
                found["payee"] = m.group(1)
                break
    if m := (_ACCOUNT_TAIL_ZH if zh else _ACCOUNT_TAIL_EN).search(t):
        found["account"] = "****" + m.group(1)
    else:
        for phrase, kind in (ACCOUNT_KINDS_ZH if zh else ACCOUNT_KINDS_EN).items():
            if ("用" + phrase in t or "从" + phrase in t) if zh else ("from my " + phrase in t):
                found["account"] = kind
                break
    if m := _DATE_ISO.search(t):
        found["date"] = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    elif m := (_NEXT_WEEKDAY_ZH if zh else _NEXT_WEEKDAY_EN).search(t):
        day = m.group(1)
        index = ("一二三四五六日".index("日" if day == "天" else day)) if zh else WEEKDAYS_EN.index(day)
        found["date"] = "next_" + WEEKDAYS_EN[index]
    else:
        relative = RELATIVE_ZH if zh else RELATIVE_EN
        for phrase in sorted(relative, key=len, reverse=True):
            if (phrase in t) if zh else re.search(rf"\b{phrase}\b", t):
                found["date"] = relative[phrase]
                break
    return found


def strip_slots(text: str) -> str:
    """The utterance without its slot phrases, so the classifier sees the function words only."""
    zh = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    t = text if zh else text.lower()
    patterns = ([_AMOUNT_ZH, _ACCOUNT_TAIL_ZH, _DATE_ISO, _NEXT_WEEKDAY_ZH] if zh else
                [_AMOUNT_EN, _ACCOUNT_TAIL_EN, _DATE_ISO, _NEXT_WEEKDAY_EN])
    for pattern in patterns:
        t = pattern.sub(" ", t)
    if zh:
        t = _PAYEE_ZH.sub(lambda m: m.group(0)[0] if m.group(0)[0] != "给" else "", t)
    stripped = " ".join(t.split()).strip(" ，,")
    return stripped or text


def format_amount(fen: int, language: str) -> str:
    """Amount spoken plainly: '500.00 yuan' / '500.00元'."""
    text = f"{fen // 100}.{fen % 100:02d}"
    return f"{text}元" if language == "zh" else f"{text} yuan"
