"""The generated demo region: a Guangdong enterprise population and its departments' deliveries.

Modules that add deliveries of their own (invoices, shareholdings, risk evidence) build the same
population with :func:`build_population`, draw from :func:`rng_for` with their own stream name, and write
files with the helpers in :mod:`bayfin.simulation.creditdata.writers`, recording them with :meth:`Region.add`.
"""

from bayfin.simulation.creditdata.deliveries import Region
from bayfin.simulation.creditdata.generate import generate_region
from bayfin.simulation.creditdata.population import Population, build_population, month_of, rng_for

__all__ = ["Population", "Region", "build_population", "generate_region", "month_of", "rng_for"]
