"""The assistant's dialogue rules (pure): classify, ask 'A or B?', fill slots, confirm before money moves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from bayfin.voice.catalogue import Intent, catalogue
from bayfin.voice.classifier import Ranked
from bayfin.voice.slots import extract_slots, format_amount, strip_slots

YES = re.compile(r"^(是|是的|对|对的|确认|好|好的|可以|yes|yeah|yep|confirm|correct|ok|okay)\b", re.I)
NO = re.compile(r"^(不|不是|不对|否|no|nope|wrong)\b", re.I)
CANCEL = re.compile(r"(取消|算了|不要了|退出|\bcancel\b|\bstop\b|never mind)", re.I)
REPEAT = re.compile(r"(重复|再说一遍|再说一次|没听清|\brepeat\b|say (?:that )?again|pardon)", re.I)
FIRST = re.compile(r"(第一|前一个|\bfirst\b|\bthe former\b|^a$)", re.I)
SECOND = re.compile(r"(第二|后一个|\bsecond\b|\bthe latter\b|^b$)", re.I)
#: Score thresholds on the linear model's decision values, chosen on the training split.
ACCEPT_SCORE = -0.6
ACCEPT_MARGIN = 0.2
CHOICE_FLOOR = -0.5


class Ranker(Protocol):
    """What ranks intents for an utterance (the fitted classifier)."""

    def rank(self, text: str, top: int = 3) -> Ranked: ...


@dataclass
class DialogueState:
    """What the assistant waits for between turns; stored per user."""

    awaiting: str | None = None  # "confirmation" | "choice" | "slot"
    intent: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    choices: list[str] = field(default_factory=list)
    last_prompt: str = ""
    language: str = "zh"

    def to_json(self) -> dict[str, Any]:
        """A JSON-storable copy."""
        return {"awaiting": self.awaiting, "intent": self.intent, "slots": self.slots,
                "choices": self.choices, "last_prompt": self.last_prompt, "language": self.language}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DialogueState:
        """Rebuild from :meth:`to_json`."""
        return cls(**data) if data else cls()


@dataclass(frozen=True)
class Reply:
    """One assistant turn: plain text for a screen reader and for slow speech, and what to do."""

    text: str
    language: str
    action: str  # "navigate" | "confirm" | "ask_choice" | "ask_slot" | "execute" | "cancelled" | "fallback"
    intent: str | None = None
    deep_link: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    choices: list[str] = field(default_factory=list)
    expects: str | None = None


def language_of(text: str) -> str:
    """'zh' when the text holds Chinese characters, else 'en'."""
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def _say(language: str, zh: str, en: str) -> str:
    return zh if language == "zh" else en


def _slot_text(slots: dict[str, Any], language: str) -> str:
    parts = []
    if "amount" in slots:
        parts.append(format_amount(int(slots["amount"]), language))
    if "payee" in slots:
        parts.append(_say(language, f"收款人{slots['payee']}", f"to {slots['payee']}"))
    if "account" in slots:
        parts.append(_say(language, f"账户{slots['account']}", f"from account {slots['account']}"))
    if "date" in slots:
        parts.append(_say(language, f"日期{slots['date']}", f"on {slots['date']}"))
    return _say(language, "，".join(parts), ", ".join(parts))


class Dialogue:
    """Turns an utterance and the stored state into a reply and the next state."""

    def __init__(self, ranker: Ranker, intents: dict[str, Intent] | None = None) -> None:
        self.ranker = ranker
        self.intents = intents or catalogue()
        # Saying a function's own name ("转账", "check balance") goes straight there: quick search.
        self.by_name: dict[str, str] = {}
        for intent in self.intents.values():
            for name in (*intent.names_zh, *intent.names_en):
                self.by_name.setdefault(name.lower(), intent.key)

    def turn(self, text: str, state: DialogueState) -> tuple[Reply, DialogueState]:
        """Handle one user utterance."""
        text = text.strip()
        language = language_of(text) if text else state.language
        if REPEAT.search(text) and state.last_prompt:
            return Reply(text=state.last_prompt, language=state.language, action="repeat",
                         intent=state.intent, expects=state.awaiting), state
        if CANCEL.search(text) or (state.awaiting == "confirmation" and NO.search(text)):
            reply = Reply(text=_say(language, "好的，已取消，没有转出任何资金。",
                                    "All right. Cancelled. No money has moved."),
                          language=language, action="cancelled", intent=state.intent)
            return reply, DialogueState(language=language, last_prompt=reply.text)
        if state.awaiting == "confirmation" and state.intent:
            if YES.search(text):
                intent = self.intents[state.intent]
                reply = Reply(text=_say(language, f"已确认。正在打开{intent.title('zh')}。",
                                        f"Confirmed. Opening {intent.title('en')}."),
                              language=language, action="execute", intent=intent.key,
                              deep_link=intent.deep_link, slots=state.slots)
                return reply, DialogueState(language=language, last_prompt=reply.text)
            return self._remember(Reply(text=state.last_prompt, language=language, action="confirm",
                                        intent=state.intent, slots=state.slots,
                                        expects="confirmation"), state)
        if state.awaiting == "choice" and state.choices:
            picked = self._pick(text, state.choices)
            if picked:
                return self._proceed(self.intents[picked], {**extract_slots(text)}, language)
        if state.awaiting == "slot" and state.intent:
            slots = {**state.slots, **extract_slots(text)}
            return self._proceed(self.intents[state.intent], slots, language)
        if not text:
            return self._fallback(language)
        core = strip_slots(text)
        if core.lower().strip("。.!！?？ ") in self.by_name:
            return self._proceed(self.intents[self.by_name[core.lower().strip("。.!！?？ ")]],
                                 extract_slots(text), language)
        ranked = self.ranker.rank(core, top=3)
        best, score = ranked.intents[0], ranked.scores[0]
        margin = score - ranked.scores[1] if len(ranked.scores) > 1 else score
        if score >= ACCEPT_SCORE and margin >= ACCEPT_MARGIN:
            return self._proceed(self.intents[best], extract_slots(text), language)
        if len(ranked.intents) > 1 and score >= CHOICE_FLOOR:
            a, b = (self.intents[k] for k in ranked.intents[:2])
            prompt = _say(language, f"您是想要{a.title('zh')}，还是{b.title('zh')}？",
                          f"Do you want {a.title('en')}, or {b.title('en')}?")
            return self._remember(Reply(text=prompt, language=language, action="ask_choice",
                                        choices=[a.key, b.key], expects="choice"),
                                  DialogueState(awaiting="choice", choices=[a.key, b.key],
                                                language=language))
        return self._fallback(language)

    def _pick(self, text: str, choices: list[str]) -> str | None:
        if FIRST.search(text):
            return choices[0]
        if SECOND.search(text):
            return choices[1]
        for key in choices:
            intent = self.intents[key]
            if any(name.lower() in text.lower() for name in (*intent.names_zh, *intent.names_en)):
                return key
        ranked = self.ranker.rank(text, top=1)
        return ranked.intents[0] if ranked.intents[0] in choices else None

    def _proceed(self, intent: Intent, slots: dict[str, Any], language: str) -> tuple[Reply, DialogueState]:
        if not intent.moves_money:
            reply = Reply(text=_say(language, f"正在打开{intent.title('zh')}。",
                                    f"Opening {intent.title('en')}."),
                          language=language, action="navigate", intent=intent.key,
                          deep_link=intent.deep_link, slots=slots)
            return self._remember(reply, DialogueState(language=language))
        missing = [s for s in intent.required_slots if s not in slots]
        if missing:
            ask = {"amount": ("请说出金额，例如：五百元。",
                              "Please say the amount, for example: five hundred yuan."),
                   "payee": ("请说出收款人，例如：给张三。",
                             "Please say who receives it, for example: to John.")}
            zh, en = ask[missing[0]]
            reply = Reply(text=_say(language, zh, en), language=language, action="ask_slot",
                          intent=intent.key, slots=slots, expects="slot")
            return self._remember(reply, DialogueState(awaiting="slot", intent=intent.key, slots=slots,
                                                       language=language))
        # Money never moves on a first utterance: read everything back and wait for a spoken yes.
        prompt = _say(language,
                      f"请确认：{intent.title('zh')}，{_slot_text(slots, 'zh')}。"
                      "确认请说“确认”，取消请说“取消”。",
                      f"Please confirm: {intent.title('en')}, {_slot_text(slots, 'en')}. "
                      "Say yes to confirm, or cancel to stop.")
        reply = Reply(text=prompt, language=language, action="confirm", intent=intent.key, slots=slots,
                      expects="confirmation")
        return self._remember(reply, DialogueState(awaiting="confirmation", intent=intent.key,
                                                   slots=slots, language=language))

    def _fallback(self, language: str) -> tuple[Reply, DialogueState]:
        reply = Reply(text=_say(language, "抱歉，我没有听懂。您可以说：查余额，或者：转账。",
                                "Sorry, I did not understand. "
                                "You can say: check balance, or: transfer money."),
                      language=language, action="fallback")
        return self._remember(reply, DialogueState(language=language))

    @staticmethod
    def _remember(reply: Reply, state: DialogueState) -> tuple[Reply, DialogueState]:
        state.last_prompt = reply.text
        return reply, state
