"""Credit reports (信用报告) and post-loan monitoring for financial institutions, under consent.

Reads the data hub's standard record through ``creditdata.enterprise_record`` and checks every use
through ``consent.ConsentService.authorize_use``. Other modules (the web console) use this surface
only: :class:`CreditReports` builds a consented, audited report (a :class:`CreditReport`; a batch is a
:class:`ReportBatch`) on one transaction. Names resolve
lazily, so importing the package loads nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.creditreport.domain import CreditReport, ReportBatch, ReportRefusal
    from bayfin.creditreport.service import CreditReports

_EXPORTS: dict[str, str] = {
    "CreditReports": ".service",
    **dict.fromkeys(("CreditReport", "ReportBatch", "ReportRefusal"), ".domain"),
}

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)

__all__ = ["CreditReport", "CreditReports", "ReportBatch", "ReportRefusal"]
