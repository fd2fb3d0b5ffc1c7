"""``bayfin demo generate``: a whole region's deliveries, its manifest and its hidden ground truth."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from bayfin.simulation.creditdata.deliveries import HUB_WRITERS, Region
from bayfin.simulation.creditdata.population import (
    CITIES,
    INDUSTRIES,
    SIZES,
    Population,
    build_population,
    month_of,
)

GROUND_TRUTH_DIR = "ground_truth"


def write_ground_truth(population: Population, out_dir: Path) -> Path:
    """Latent credit quality and later default (with the month) per enterprise, outside the manifest."""
    pop = population
    folder = out_dir / GROUND_TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    quality = pl.Series(pop.quality).round(4)
    frame = pl.DataFrame(
        {
            "credit_code": pop.credit_code,
            "city_code": [CITIES[c][1] for c in pop.city],
            "industry_code": [INDUSTRIES[i][0] for i in pop.industry],
            "size": [SIZES[s][0] for s in pop.size],
            "latent_quality": quality,
            "defaulted": (pop.default_month >= 0).astype(int),
            "default_month": [f"{month_of(int(m)):%Y-%m}" if m >= 0 else "" for m in pop.default_month],
        }
    )
    path = folder / "enterprises.csv"
    frame.write_csv(path, float_precision=4)
    return path


def generate_region(
    out_dir: Path,
    enterprises: int,
    seed: int,
    *,
    defect_rate: float = 0.03,
    writers: Sequence[Callable[[Region], None]] = HUB_WRITERS,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write every writer's deliveries, ``manifest.json`` and the ground truth; returns the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    population = build_population(enterprises, seed)
    region = Region(population=population, out_dir=out_dir, seed=seed, defect_rate=defect_rate)
    for writer in writers:
        writer(region)
        if on_step is not None:
            on_step(writer.__name__)
    write_ground_truth(population, out_dir)
    manifest = {
        "region": "广东省 (Guangdong)",
        "enterprises": enterprises,
        "seed": seed,
        "months": f"{month_of(0):%Y-%m}..{month_of(23):%Y-%m}",
        "files": region.entries,
    }
    (out_dir / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest
