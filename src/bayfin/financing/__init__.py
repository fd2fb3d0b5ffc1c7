"""The financing marketplace (粤信融 part 3): products, demands, matching (pure), applications.

Other code (the API, the CLI, the web console) uses this surface: :func:`service_for` gives the
:class:`FinancingService` on a session, whose methods are every use case; the request bodies
(:class:`DemandIn`, :class:`ProductIn`, :class:`TransitionIn`) it takes; :func:`application_out`
turns an application into its API shape for a :class:`Party`; :class:`ApplicationState`,
:class:`WindowStatus` and :class:`ProductType` name the states, service-window status and product
types; the scopes each group of operations needs (:data:`PRODUCTS`, :data:`REVIEW`, :data:`APPLY`,
:data:`OPERATE`, :data:`STATISTICS`); and :data:`FINANCING`, the typed key of the marketplace's
runtime (configuration and product-book cache) on the platform. Names resolve lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.financing.domain import ApplicationState, Party, WindowStatus
    from bayfin.financing.matching import ProductType
    from bayfin.financing.schemas import DemandIn, ProductIn, TransitionIn
    from bayfin.financing.scopes import APPLY, OPERATE, PRODUCTS, REVIEW, STATISTICS
    from bayfin.financing.service import ApplicationTransitionRefused, FinancingService, service_for
    from bayfin.financing.views import application_out
    from bayfin.financing.wiring import FINANCING

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("ApplicationState", "Party", "WindowStatus"), ".domain"),
    "ProductType": ".matching",
    **dict.fromkeys(("DemandIn", "ProductIn", "TransitionIn"), ".schemas"),
    **dict.fromkeys(("APPLY", "OPERATE", "PRODUCTS", "REVIEW", "STATISTICS"), ".scopes"),
    **dict.fromkeys(("ApplicationTransitionRefused", "FinancingService", "service_for"), ".service"),
    "application_out": ".views",
    "FINANCING": ".wiring",
}

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)

__all__ = ["APPLY", "FINANCING", "OPERATE", "PRODUCTS", "REVIEW", "STATISTICS", "ApplicationState",
           "ApplicationTransitionRefused", "DemandIn", "FinancingService", "Party", "ProductIn",
           "ProductType", "TransitionIn", "WindowStatus", "application_out", "service_for"]
