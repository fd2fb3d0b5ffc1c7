"""The enterprise credit data hub (粤信融 data gathering): many departments' deliveries, one standard record.

Other modules use this surface only: :func:`enterprise_record` (the standard record of one enterprise, as
of a date, an :class:`EnterpriseRecord`), the credit-code rules, the population reads (plain rows over
every firm, for scoring, risk indices and the console), the hub's status and the whole-directory ingest
the demo runs. Names resolve lazily so that importing the package stays cheap and free of import cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.creditdata.domain import (
        RECORD_TYPES,
        EnterpriseRecord,
        FirmHit,
        HubStatus,
        QuarantineView,
        RecordRow,
        credit_code_problem,
        is_valid_credit_code,
    )
    from bayfin.creditdata.repository.population import (
        codes_sharing_registration,
        enterprises_by_city,
        enterprises_by_founding_year,
        enterprises_by_industry,
        facts_in_force,
        firm_name,
        history_distinct_counts,
        quarantine_by_source_and_reason,
        registered_enterprises,
        search_firms,
    )
    from bayfin.creditdata.service import BatchReport, enterprise_record, hub_status, quarantine_rows
    from bayfin.creditdata.workflows import ingest_directory

_DOMAIN = "bayfin.creditdata.domain"
_POPULATION = "bayfin.creditdata.repository.population"
_EXPORTS: dict[str, str] = {
    "RECORD_TYPES": _DOMAIN,
    "EnterpriseRecord": _DOMAIN,
    "FirmHit": _DOMAIN,
    "HubStatus": _DOMAIN,
    "QuarantineView": _DOMAIN,
    "RecordRow": _DOMAIN,
    "credit_code_problem": _DOMAIN,
    "is_valid_credit_code": _DOMAIN,
    "codes_sharing_registration": _POPULATION,
    "enterprises_by_city": _POPULATION,
    "enterprises_by_founding_year": _POPULATION,
    "enterprises_by_industry": _POPULATION,
    "facts_in_force": _POPULATION,
    "firm_name": _POPULATION,
    "history_distinct_counts": _POPULATION,
    "quarantine_by_source_and_reason": _POPULATION,
    "registered_enterprises": _POPULATION,
    "search_firms": _POPULATION,
    "enterprise_record": "bayfin.creditdata.service",
    "hub_status": "bayfin.creditdata.service",
    "BatchReport": "bayfin.creditdata.service",
    "quarantine_rows": "bayfin.creditdata.service",
    "ingest_directory": "bayfin.creditdata.workflows",
}

__all__ = [
    "RECORD_TYPES",
    "BatchReport",
    "EnterpriseRecord",
    "FirmHit",
    "HubStatus",
    "QuarantineView",
    "RecordRow",
    "codes_sharing_registration",
    "credit_code_problem",
    "enterprise_record",
    "enterprises_by_city",
    "enterprises_by_founding_year",
    "enterprises_by_industry",
    "facts_in_force",
    "firm_name",
    "history_distinct_counts",
    "hub_status",
    "ingest_directory",
    "is_valid_credit_code",
    "quarantine_by_source_and_reason",
    "quarantine_rows",
    "registered_enterprises",
    "search_firms",
]

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)
