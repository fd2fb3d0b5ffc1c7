"""The scope each kind of organization needs, per group of marketplace operations: the API's endpoints
and the web console's pages check the same ones."""

from __future__ import annotations

PRODUCTS = {"institution": "financing:products"}
REVIEW = {"institution": "financing:review"}
APPLY = {"enterprise": "financing:apply"}
OPERATE = {"operator": "financing:operate"}
STATISTICS = {"operator": "financing:statistics", "regulator": "financing:statistics"}
