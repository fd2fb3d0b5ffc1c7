"""The intent catalogue: each mobile-banking function with its names, deep link and slots."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bayfin.voice.catalogue_data import CATALOGUE_TEXT

SLOT_CODES = {"a": "amount", "p": "payee", "c": "account", "d": "date"}


@dataclass(frozen=True)
class Intent:
    """One function of the mobile bank the assistant can open."""

    key: str
    names_zh: tuple[str, ...]
    names_en: tuple[str, ...]
    slots: tuple[str, ...]
    moves_money: bool

    @property
    def deep_link(self) -> str:
        """The app route that opens this function."""
        return "bayfin://app/" + self.key.replace(".", "/")

    def title(self, language: str) -> str:
        """The function's display name in ``zh`` or ``en``."""
        return self.names_zh[0] if language == "zh" else self.names_en[0]

    @property
    def required_slots(self) -> tuple[str, ...]:
        """Slots that must be known before money moves (amount and payee when the intent has them)."""
        if not self.moves_money:
            return ()
        return tuple(s for s in ("amount", "payee") if s in self.slots)


def parse_catalogue(text: str) -> dict[str, Intent]:
    """Read ``key|zh;zh|en;en|slots|flags`` lines into intents by key."""
    intents: dict[str, Intent] = {}
    for line in text.strip().splitlines():
        key, zh, en, slots, flags = line.split("|")
        intents[key] = Intent(key=key, names_zh=tuple(zh.split(";")), names_en=tuple(en.split(";")),
                              slots=tuple(SLOT_CODES[c] for c in slots), moves_money="m" in flags)
    return intents


@cache
def catalogue() -> dict[str, Intent]:
    """The built-in catalogue (180+ functions)."""
    return parse_catalogue(CATALOGUE_TEXT)
