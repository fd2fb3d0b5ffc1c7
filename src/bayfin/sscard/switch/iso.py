"""The switch's ISO 8583 dialect: pyiso8583's default (binary-bitmap, ASCII-field) spec, narrowed to the
fields the Greater Bay Area acquirers exchange, and 2-byte big-endian length-prefixed TCP frames."""

from __future__ import annotations

import asyncio
import copy
import struct
from typing import Any

import iso8583
from iso8583.specs import default as _default_spec

#: Field numbers the switch reads or writes; anything else in a request is a format error.
FIELDS = frozenset({"t", "p", "1", "2", "3", "4", "6", "7", "10", "11", "12", "13", "14", "19", "32",
                    "35", "37", "38", "39", "41", "42", "48", "49", "51", "52", "54", "70", "90", "95",
                    "103", "128"})
SPEC: dict[str, Any] = copy.deepcopy(_default_spec)
# Amount fields are fixed twelve digits; make the switch's expectations explicit where the default is
# loose: PAN 12-19 digits (LLVAR), the acquirer id up to 11 (LLVAR), original data elements 42 fixed.
SPEC["2"]["desc"] = "Primary Account Number (social-security card)"
SPEC["103"]["desc"] = "Account ID 2 (transfer destination card)"
SPEC = {key: value for key, value in SPEC.items() if key in FIELDS or key == "h"}

MAX_FRAME = 4096
MAC_FIELD = "128"
MAC_LENGTH = 8


class FrameError(ValueError):
    """The byte stream does not carry a valid length-prefixed frame."""


def decode(raw: bytes) -> dict[str, str]:
    """Decode one message; raises ``iso8583.DecodeError`` (a ValueError) on a malformed one."""
    try:
        doc, _ = iso8583.decode(bytearray(raw), SPEC)
    except (KeyError, IndexError, TypeError) as exc:  # a bitmap naming a field outside the spec
        raise ValueError(f"undecodable message: {exc}") from exc
    return {k: v for k, v in doc.items() if k not in {"p", "1", "h"}}


def encode(fields: dict[str, str]) -> bytes:
    """Encode one message from its field values (``t`` is the MTI)."""
    raw, _ = iso8583.encode(dict(fields), SPEC)
    return bytes(raw)


def encode_for_mac(fields: dict[str, str]) -> bytes:
    """Encode a message with a zero MAC in field 128 (the last field): the MAC covers every byte
    before it, bitmap included, and then replaces those last eight bytes."""
    return encode({**fields, MAC_FIELD: "00" * MAC_LENGTH})


def split_mac(raw: bytes, fields: dict[str, str]) -> tuple[bytes, bytes] | None:
    """(the bytes a MAC covers, the MAC) of a decoded message, or None when it carries no MAC."""
    mac = fields.get(MAC_FIELD)
    if mac is None or len(mac) != 2 * MAC_LENGTH:
        return None
    return raw[:-MAC_LENGTH], bytes.fromhex(mac)


def frame(payload: bytes) -> bytes:
    """Prefix a message with its two-byte big-endian length."""
    if len(payload) > MAX_FRAME:
        raise FrameError("message too long for one frame")
    return struct.pack(">H", len(payload)) + payload


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """Read one frame's payload, or None at a clean end of stream."""
    try:
        head = await reader.readexactly(2)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise FrameError("stream ended inside a length prefix") from exc
        return None
    (length,) = struct.unpack(">H", head)
    if length == 0 or length > MAX_FRAME:
        raise FrameError(f"frame length {length} out of range")
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        raise FrameError("stream ended inside a frame") from exc


def response_mti(mti: str) -> str:
    """The response type for a request type (0100 → 0110, 0401 → 0410)."""
    if len(mti) != 4 or not mti.isdigit():
        return "0810"
    return f"{mti[:2]}{int(mti[2]) + 1 if mti[2] in '02' else mti[2]}0"


def format_balance(amount_minor: int, currency: int, account_type: str = "00") -> str:
    """Field 54: account type, amount type 02 (available), currency, C/D sign and 12 digits."""
    sign = "C" if amount_minor >= 0 else "D"
    return f"{account_type}02{currency:03d}{sign}{abs(amount_minor):012d}"


def parse_balance(field: str) -> tuple[int, int]:
    """Read (amount_minor, currency) from a field 54 written by :func:`format_balance`."""
    amount = int(field[8:20])
    return (amount if field[7] == "C" else -amount), int(field[4:7])
