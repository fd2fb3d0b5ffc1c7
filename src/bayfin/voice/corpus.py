"""The bilingual training corpus, generated from templates, synonyms and slot values, with gold slots."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bayfin.voice.catalogue import Intent, catalogue

TEMPLATES_ZH = ["{n}", "我要{n}", "我想{n}", "帮我{n}", "打开{n}", "进入{n}", "{n}在哪里", "怎么{n}",
                "请帮我办理{n}", "我要办{n}", "去{n}页面", "麻烦{n}一下", "{n}功能", "我想看看{n}",
                "请问{n}怎么弄", "给我打开{n}", "小助手{n}", "我需要{n}"]
TEMPLATES_EN = ["{n}", "i want to {n}", "open {n}", "show me {n}", "go to {n}", "help me with {n}",
                "please {n}", "i need {n}", "take me to {n}", "{n} please", "can you {n}",
                "i would like {n}", "where is {n}", "how do i {n}", "assistant {n}"]
PAYEES_ZH = ["张三", "李娜", "王伟", "妈妈", "爸爸", "陈小明", "刘芳", "儿子", "女儿", "老婆", "黄强"]
PAYEES_EN = ["john", "mary", "alice", "peter", "my mother", "my father", "my son", "my daughter",
             "david", "linda"]
ACCOUNTS_ZH = ["尾号{d}", "用信用卡", "用储蓄卡", "从储蓄卡", "用社保卡"]
ACCOUNTS_EN = ["from account ending {d}", "from my credit card", "from my savings account",
               "from card ending in {d}", "from my debit card"]
DATES_ZH = ["今天", "明天", "后天", "下周一", "下周五", "下星期三", "2026年12月{day}日"]
DATES_EN = ["today", "tomorrow", "next monday", "next friday", "next wednesday", "on 2026-12-{day:02d}"]
CN_NUMERALS = ["一百", "两百", "五百", "八十", "一千", "一千二百", "三千五百", "两万", "五十", "六百六十"]
CN_VALUES = [100, 200, 500, 80, 1000, 1200, 3500, 20000, 50, 660]
EN_WORDS = ["one hundred", "two hundred", "five hundred", "eighty", "one thousand",
            "two thousand five hundred", "fifty", "three hundred"]
EN_VALUES = [100, 200, 500, 80, 1000, 2500, 50, 300]
#: Characters an ASR may confuse with a homophone; pinyin features make the classifier robust to them.
FILLERS_ZH = ["", "", "", "你好，", "吧", "，谢谢", "呀", "嗯，"]
FILLERS_EN = ["", "", "", "hello ", " thanks", "um ", " now"]
HOMOPHONES = {"账": "帐", "余": "鱼", "额": "饿", "卡": "咖", "费": "飞", "转": "赚", "款": "宽",
              "还": "环", "存": "村", "汇": "会", "查": "茶", "理": "里", "贷": "代", "缴": "交",
              "码": "马", "付": "富", "票": "漂", "保": "宝", "金": "今"}


@dataclass(frozen=True)
class Example:
    """One utterance with its intent and gold slot values (amount in fen)."""

    text: str
    intent: str
    language: str
    slots: dict[str, str | int] = field(default_factory=dict)


def _slot_phrases(intent: Intent, rng: random.Random,
                  zh: bool) -> tuple[dict[str, str], dict[str, str | int]]:
    phrases: dict[str, str] = {}
    gold: dict[str, str | int] = {}
    if "amount" in intent.slots and rng.random() < 0.6:
        if rng.random() < 0.5:
            yuan = rng.choice([50, 80, 100, 200, 300, 500, 1000, 1500, 2000, 8888, 12000])
            phrases["amount"] = f"{yuan}{rng.choice(['元', '块'])}" if zh else f"{yuan} yuan"
        elif zh:
            i = rng.randrange(len(CN_NUMERALS))
            yuan, phrases["amount"] = CN_VALUES[i], CN_NUMERALS[i] + rng.choice(["元", "块钱"])
        else:
            i = rng.randrange(len(EN_WORDS))
            yuan, phrases["amount"] = EN_VALUES[i], EN_WORDS[i] + " yuan"
        gold["amount"] = yuan * 100
    if "payee" in intent.slots and rng.random() < 0.6:
        payee = rng.choice(PAYEES_ZH if zh else PAYEES_EN)
        phrases["payee"] = ("给" + payee) if zh else ("to " + payee)
        gold["payee"] = payee
    if "account" in intent.slots and rng.random() < 0.4:
        digits = f"{rng.randrange(10000):04d}"
        template = rng.choice(ACCOUNTS_ZH if zh else ACCOUNTS_EN)
        phrases["account"] = template.format(d=digits)
        kinds = {"信用卡": "credit", "储蓄卡": "savings", "社保卡": "sscard", "credit card": "credit",
                 "savings account": "savings", "debit card": "savings"}
        gold["account"] = "****" + digits if "{d}" in template else next(
            v for k, v in kinds.items() if k in template)
    if "date" in intent.slots and rng.random() < 0.4:
        day = rng.randrange(1, 29)
        template = rng.choice(DATES_ZH if zh else DATES_EN)
        phrases["date"] = template.format(day=day)
        gold["date"] = _gold_date(template, day)
    return phrases, gold


def _gold_date(template: str, day: int) -> str:
    if "2026" in template:
        return f"2026-12-{day:02d}"
    names = {"今天": "today", "明天": "tomorrow", "后天": "day_after_tomorrow", "下周一": "next_monday",
             "下周五": "next_friday", "下星期三": "next_wednesday"}
    return names.get(template, template.replace(" ", "_"))


def _compose(base: str, phrases: dict[str, str], zh: bool) -> str:
    if zh:
        # Chinese reads date, payee, account, action, amount: 明天给张三用储蓄卡转账500元
        prefix = "".join(phrases[k] for k in ("date", "payee", "account") if k in phrases)
        return prefix + base + phrases.get("amount", "")
    tail = " ".join(phrases[k] for k in ("amount", "payee", "account", "date") if k in phrases)
    return f"{base} {tail}".strip()


def generate_corpus(per_intent: int = 120, seed: int = 14, homophone_rate: float = 0.1) -> list[Example]:
    """Distinct utterances per intent, half Chinese and half English, with gold slots."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    examples: list[Example] = []
    for intent in catalogue().values():
        seen: set[str] = set()
        attempts = 0
        while len(seen) < per_intent and attempts < per_intent * 20:
            attempts += 1
            zh = len(seen) % 2 == 0
            name = rng.choice(intent.names_zh if zh else intent.names_en)
            base = rng.choice(TEMPLATES_ZH if zh else TEMPLATES_EN).format(n=name)
            phrases, gold = _slot_phrases(intent, rng, zh)
            text = _compose(base, phrases, zh)
            filler = rng.choice(FILLERS_ZH if zh else FILLERS_EN)
            text = filler + text if filler.endswith(("，", " ")) else text + filler
            if zh and rng.random() < homophone_rate:
                spots = [i for i, ch in enumerate(text) if ch in HOMOPHONES]
                if spots:
                    i = rng.choice(spots)
                    text = text[:i] + HOMOPHONES[text[i]] + text[i + 1:]
            if text in seen:
                continue
            seen.add(text)
            examples.append(Example(text=text, intent=intent.key, language="zh" if zh else "en",
                                    slots=gold))
    return examples


def split_corpus(examples: list[Example], test_share: float = 0.2,
                 seed: int = 14) -> tuple[list[Example], list[Example]]:
    """A reproducible shuffled train/held-out split."""
    shuffled = list(examples)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - reproducible split
    cut = int(len(shuffled) * (1 - test_share))
    return shuffled[:cut], shuffled[cut:]
