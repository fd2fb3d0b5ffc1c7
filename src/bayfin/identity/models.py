"""The identity tables are in :mod:`bayfin.identity.core.models`; imported here, where the registry
looks for a module's tables (``bayfin.<module>.models``), so the metadata knows them."""

import bayfin.identity.core.models  # noqa: F401
