"""The link table: one entry per acquirer, a double-length zone key, sane limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bayfin.sscard.switch.links import Link, load_links


def _write(tmp_path: Path, entries: object) -> Path:
    path = tmp_path / "links.json"
    path.write_text(json.dumps(entries))
    return path


def test_a_link_table_is_read_with_its_defaults(tmp_path: Path) -> None:
    links = load_links(_write(tmp_path, [
        {"acquirer": "34400001", "port": 8583, "zone_key": "00" * 16},
        {"acquirer": "44600001", "host": "0.0.0.0", "port": 8584, "zone_key": "11" * 16,
         "idle_timeout": 30, "max_connections": 2}]))
    assert [(ln.acquirer_id, ln.port, ln.idle_timeout, ln.max_connections) for ln in links] == [
        ("34400001", 8583, 60.0, 8), ("44600001", 8584, 30.0, 2)]
    assert links[1].zone_key == b"\x11" * 16 and links[0].tls is None
    assert "zone_key" not in repr(links[0])


@pytest.mark.parametrize("entries", [
    [],
    {"acquirer": "34400001"},
    [{"acquirer": "34400001", "port": 1, "zone_key": "00" * 8}],
    [{"acquirer": "3440000X", "port": 1, "zone_key": "00" * 16}],
    [{"acquirer": "34400001", "port": 1, "zone_key": "00" * 16},
     {"acquirer": "34400001", "port": 2, "zone_key": "00" * 16}],
    [{"acquirer": "34400001", "port": 1, "zone_key": "00" * 16, "max_connections": 0}],
])
def test_a_bad_link_table_is_refused(tmp_path: Path, entries: object) -> None:
    with pytest.raises((ValueError, KeyError)):
        load_links(_write(tmp_path, entries))


def test_a_link_needs_a_numeric_acquirer_id() -> None:
    with pytest.raises(ValueError):
        Link("")
