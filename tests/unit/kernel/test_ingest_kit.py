"""The shared delivery-ingest kit: file hashes and manifests read the same for every ingesting module."""

import hashlib
from datetime import date
from pathlib import Path

import orjson
import pytest

from bayfin.kernel.errors import NotFound, ValidationFailed
from bayfin.kernel.ingest import file_sha256, read_manifest


def test_file_hash_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    file = tmp_path / "d.csv"
    file.write_bytes(b"a,b\n1,2\n" * 1000)
    assert file_sha256(file) == hashlib.sha256(file.read_bytes()).hexdigest()


def test_manifest_lists_files_relative_to_the_region_in_order(tmp_path: Path) -> None:
    (tmp_path / "graph").mkdir()
    doc = {"files": [{"path": "graph/b.csv", "source": "s", "as_of": "2026-01-31", "rows": 3},
                     {"path": "a.csv", "source": "t", "as_of": "2025-12-31"}]}
    (tmp_path / "graph" / "manifest.json").write_bytes(orjson.dumps(doc))
    entries = read_manifest(tmp_path, "graph/manifest.json")
    assert [(e.path, e.source, e.as_of, e.rows, e.listed_as) for e in entries] == [
        (tmp_path / "graph/b.csv", "s", date(2026, 1, 31), 3, "graph/b.csv"),
        (tmp_path / "a.csv", "t", date(2025, 12, 31), None, "a.csv"),
    ]


def test_a_missing_manifest_is_not_found_and_a_broken_one_is_invalid(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_bytes(b'{"files": [{"path": "x"}]}')
    with pytest.raises(ValidationFailed):
        read_manifest(tmp_path)
