"""The transaction-type catalogue (channel × business × sub-type), shipped as data in
``data/catalogue.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

CHANNELS = ("mobile", "online", "counter", "terminal")


@dataclass(frozen=True, slots=True)
class TransactionType:
    """One entry of the catalogue, e.g. ``mobile.transfer.inter_bank``."""

    code: str
    channel: str
    business: str
    sub_type: str
    flow: str  # "out", "in" or "none": which way money moves
    sensitive: bool  # changes how the account is protected (password, phone, limits, payees)


@dataclass(frozen=True)
class Catalogue:
    """Every known transaction type, by code."""

    types: dict[str, TransactionType]
    channel_names: dict[str, str]

    def __contains__(self, code: object) -> bool:
        return code in self.types

    def __len__(self) -> int:
        return len(self.types)

    def get(self, code: str) -> TransactionType | None:
        """The type with this code, or None."""
        return self.types.get(code)

    def businesses(self) -> list[str]:
        """The distinct business lines, sorted."""
        return sorted({t.business for t in self.types.values()})

    def codes(self, *, channel: str | None = None, business: str | None = None) -> list[str]:
        """Type codes, optionally narrowed to one channel and/or business, sorted."""
        return sorted(t.code for t in self.types.values()
                      if (channel is None or t.channel == channel)
                      and (business is None or t.business == business))


def parse_catalogue(document: dict[str, Any]) -> Catalogue:
    """Expand the YAML document (businesses with sub-types and channels) into the full catalogue."""
    channel_names = dict(document["channels"])
    unknown = set(channel_names) - set(CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels in catalogue: {sorted(unknown)}")
    types: dict[str, TransactionType] = {}
    for business, spec in document["businesses"].items():
        for entry in spec["sub_types"]:
            item = entry if isinstance(entry, dict) else {"name": entry}
            channels = item.get("channels", spec["channels"])
            for channel in channels:
                if channel not in channel_names:
                    raise ValueError(f"{business}.{item['name']}: unknown channel {channel!r}")
                code = f"{channel}.{business}.{item['name']}"
                if code in types:
                    raise ValueError(f"duplicate transaction type {code}")
                types[code] = TransactionType(
                    code=code, channel=channel, business=business, sub_type=item["name"],
                    flow=item.get("flow", spec.get("flow", "none")),
                    sensitive=bool(item.get("sensitive", spec.get("sensitive", False))))
    return Catalogue(types=types, channel_names=channel_names)


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The catalogue shipped with bayfin (read once per process)."""
    text = resources.files("bayfin.antifraud.engine").joinpath("data/catalogue.yaml").read_text("utf-8")
    return parse_catalogue(yaml.safe_load(text))
