"""The cursor codec and the in-memory pager: a cursor opens only where it was sealed."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bayfin.kernel.pagination import (
    MAX_CURSOR_LENGTH,
    CursorCodec,
    InvalidCursor,
    Page,
    PageRequest,
    in_memory,
    split,
)

CODEC = CursorCodec(b"a-secret-of-the-platform-0123456789")


def test_a_cursor_carries_every_kind_of_key_value_back_unchanged():
    key = ("text", 7, 2.5, True, None, Decimal("12.30"), date(2026, 1, 2),
           datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC))
    assert CODEC.decode("GET /v1/x", CODEC.encode("GET /v1/x", key)) == key


def test_a_cursor_of_another_list_or_another_platform_is_refused():
    cursor = CODEC.encode("GET /v1/a", ("k",))
    with pytest.raises(InvalidCursor):
        CODEC.decode("GET /v1/b", cursor)
    with pytest.raises(InvalidCursor):
        CursorCodec(b"another-secret-entirely-0123456789").decode("GET /v1/a", cursor)


def _reseal_body(cursor: str, body: bytes) -> str:
    return base64.urlsafe_b64encode(body).rstrip(b"=").decode() + "." + cursor.split(".")[1]


@pytest.mark.parametrize("cursor", [
    "", "no-dot", "a.b.c", "!!!.???", "e30.AAAA", "x" * (MAX_CURSOR_LENGTH + 1),
    _reseal_body(CODEC.encode("GET /v1/x", (1,)), b"[2]"),  # the key edited, the seal kept
])
def test_a_malformed_or_edited_cursor_is_refused_as_a_client_error(cursor):
    with pytest.raises(InvalidCursor) as caught:
        CODEC.decode("GET /v1/x", cursor)
    assert caught.value.status_code == 400 and caught.value.code == "invalid_cursor"


def test_a_sealed_body_that_is_not_a_key_is_still_refused():
    codec = CursorCodec(b"s" * 32)
    for body in (b"{}", b"[]", b'[{"zz": "1"}]', b'[{"dt": 5}]', b'[{"dt": "not a date"}]', b"[[1]]",
                 b'[{"dec": "x"}]', b"not json"):
        sealed = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        mac = base64.urlsafe_b64encode(codec._mac("GET /v1/x", body)).rstrip(b"=").decode()
        with pytest.raises(InvalidCursor):
            codec.decode("GET /v1/x", f"{sealed}.{mac}")


def test_paging_in_memory_visits_every_item_once_in_both_directions():
    items = [{"score": s, "id": i} for i, s in enumerate([5, 3, 5, 1, 3, 5, 2, 2, 4, 5, 1])]

    def key(item: dict[str, int]) -> tuple[int, int]:
        return (item["score"], item["id"])

    for descending in (False, True):
        seen: list[dict[str, int]] = []
        page = PageRequest(limit=3)
        while True:
            kept, after = split(in_memory(items, key, page, descending=descending), page, key)
            assert len(kept) <= 3
            seen += kept
            if after is None:
                break
            page = PageRequest(limit=3, after=after)
        assert seen == sorted(items, key=key, reverse=descending)


def test_a_page_always_names_its_items_and_its_next_link():
    schema = Page[int].model_json_schema()
    assert set(schema["required"]) == {"items", "next"}
    assert Page[int](items=[1], next=None).model_dump() == {"items": [1], "next": None}
