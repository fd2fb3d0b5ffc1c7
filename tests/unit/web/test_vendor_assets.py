"""The console's committed browser assets are exactly what the lock file and manifest name."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VENDOR = ROOT / "src" / "bayfin" / "web" / "static" / "vendor"


def _manifest() -> dict[str, dict[str, str]]:
    files: dict[str, dict[str, str]] = json.loads((VENDOR / "MANIFEST.json").read_text())["files"]
    return files


def test_every_vendored_file_has_the_hash_recorded_in_the_manifest():
    files = _manifest()
    on_disk = {p.name for p in VENDOR.iterdir() if p.name != "MANIFEST.json"}
    assert on_disk == set(files), "vendor/ and MANIFEST.json list different files"
    for name, info in files.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == info["sha256"], name


def test_the_npm_files_come_from_the_versions_pinned_in_the_lock_file():
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    npm = {n: i for n, i in _manifest().items() if i["source"].startswith("npm:")}
    assert {i["source"].split("@")[0].removeprefix("npm:") for i in npm.values()} == set(pinned)
    for info in npm.values():
        package, rest = info["source"].removeprefix("npm:").split("@", 1)
        version = rest.split("/", 1)[0]
        entry = lock[f"node_modules/{package}"]
        assert entry["version"] == version == pinned[package]
        assert entry["integrity"] == info["package_integrity"]


def test_the_guangdong_map_registers_all_21_prefecture_cities():
    text = (VENDOR / "guangdong.js").read_text(encoding="utf-8")
    assert 'registerMap("广东"' in text
    from bayfin.web.geography import CITIES

    for zh, _en in CITIES.values():
        assert f'name:"{zh}"' in text, zh
