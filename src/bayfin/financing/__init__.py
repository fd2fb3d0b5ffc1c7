"""The financing marketplace (粤信融 part 3): products, demands, matching (pure), applications.

Other code (the API, the CLI, the web console) uses this surface: :func:`service_for` gives the
:class:`FinancingService` on a session, whose methods are every use case; ``views`` turns its records
into the API shapes; :class:`ApplicationState` names the states of an application.
"""

from bayfin.financing.domain import ApplicationState, WindowStatus
from bayfin.financing.service import ApplicationTransitionRefused, FinancingService, service_for

__all__ = ["ApplicationState", "ApplicationTransitionRefused", "FinancingService", "WindowStatus",
           "service_for"]
