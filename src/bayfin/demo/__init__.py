"""The one-command demo (``bayfin demo …``, ``make demo``): generate a region, load it, serve it.

The generators live in the simulation home, :mod:`bayfin.simulation.creditdata`; the names below are
re-exported from there for the modules' demo seed hooks.
"""

from bayfin.simulation.creditdata import (
    Population,
    Region,
    build_population,
    generate_region,
    month_of,
    rng_for,
)

__all__ = ["Population", "Region", "build_population", "generate_region", "month_of", "rng_for"]
