"""The demo seeder adds the graph deliveries to a region, ingests them and raises signals, once."""

import orjson

from bayfin.supplychain.demo import seed_demo


def test_seeding_twice_writes_and_ingests_once(platform, tmp_path):
    (tmp_path / "manifest.json").write_bytes(orjson.dumps({"enterprises": 300, "seed": 5, "files": []}))
    first = seed_demo(platform, tmp_path, 5)
    assert first["deliveries"] > 0 and first["edges"] > 0 and first["signals"] > 0
    assert (tmp_path / "ground_truth" / "graph.json").is_file()
    again = seed_demo(platform, tmp_path, 5)
    assert again["edges"] == first["edges"] and again["signals"] == 0
