"""The demo region: reproducible byte for byte, a manifest naming every file's source, hidden ground truth."""

import hashlib
import json

import pytest

from bayfin.creditdata.domain import is_valid_credit_code
from bayfin.creditdata.mapping import builtin_mapping_names
from bayfin.simulation.creditdata.generate import generate_region
from bayfin.simulation.creditdata.population import CITIES, build_population


def digests(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    out = tmp_path_factory.mktemp("region")
    return out, generate_region(out, 300, seed=11)


def test_the_same_seed_writes_byte_identical_files(region, tmp_path):
    out, _ = region
    generate_region(tmp_path, 300, seed=11)
    assert digests(tmp_path) == digests(out)


def test_a_different_seed_writes_a_different_region(tmp_path):
    assert build_population(50, 1).credit_code != build_population(50, 2).credit_code


def test_the_manifest_names_every_delivery_file_and_a_known_source(region):
    out, manifest = region
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {k for k in digests(out) if k != "manifest.json" and not k.startswith("ground_truth/")}
    assert listed == on_disk
    assert {f["source"] for f in manifest["files"]} <= set(builtin_mapping_names())
    assert {p.rsplit(".", 1)[1] for p in listed} == {"csv", "jsonl", "xml", "xlsx"}


def test_ground_truth_is_written_apart_from_the_deliveries(region):
    out, manifest = region
    truth = (out / "ground_truth" / "enterprises.csv").read_text(encoding="utf-8").splitlines()
    assert truth[0] == "credit_code,city_code,industry_code,size,latent_quality,defaulted,default_month"
    assert len(truth) == 301
    assert not any("ground_truth" in f["path"] for f in manifest["files"])
    assert json.loads((out / "manifest.json").read_text())["enterprises"] == 300


def test_the_population_covers_the_twenty_prefecture_cities_with_valid_codes():
    pop = build_population(4000, 3)
    assert len(CITIES) == 20 and len(set(pop.city.tolist())) == 20
    assert all(is_valid_credit_code(c) for c in pop.credit_code)
    assert len(set(pop.credit_code)) == len(pop)
    assert 0.01 < (pop.default_month >= 0).mean() < 0.2
