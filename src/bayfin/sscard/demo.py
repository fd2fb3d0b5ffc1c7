"""The module's demo hook: the generator itself lives in the simulation home."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bayfin.kernel.platform import Platform


def seed_demo(platform: Platform, workdir: Path, seed: int) -> dict[str, Any]:
    """Seed the social-security-card demo data (see :mod:`bayfin.simulation.sscard.demo`)."""
    from bayfin.simulation.sscard.demo import seed_demo as generate

    return generate(platform, workdir, seed)
