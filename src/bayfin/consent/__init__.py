"""Consent (授权): enterprises decide which institution sees which of their data, for what, how long.

Other modules use this surface only: :class:`ConsentService` checks every use of an enterprise's data
(``authorize_use``) and takes an institution's request (:class:`ConsentRequestData`, or the API body
:class:`ConsentRequestIn`); the consent vocabulary (:class:`Purpose`, :class:`DataCategory`,
:class:`AccessMode`, :class:`Frequency`, :class:`PeriodUnit`, :class:`ConsentStatus`,
:class:`ConsentAction`), a consent's terms (:func:`terms_of`, :func:`effective_status`) and the
errors the checks raise. Names resolve lazily, so importing the package loads nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.consent.domain import (
        PURPOSE_LABELS,
        AccessGrant,
        AccessMode,
        ConsentAction,
        ConsentStatus,
        ConsentTerms,
        DataCategory,
        Frequency,
        PeriodUnit,
        Purpose,
        effective_status,
    )
    from bayfin.consent.errors import ConsentFrequencyExhausted, ConsentNotFound, ConsentRefused
    from bayfin.consent.schemas import ConsentRequestIn
    from bayfin.consent.service import ConsentRequestData, ConsentService, terms_of

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("PURPOSE_LABELS", "AccessGrant", "AccessMode", "ConsentAction", "ConsentStatus",
                    "ConsentTerms", "DataCategory", "Frequency", "PeriodUnit", "Purpose",
                    "effective_status"), ".domain"),
    **dict.fromkeys(("ConsentFrequencyExhausted", "ConsentNotFound", "ConsentRefused"), ".errors"),
    "ConsentRequestIn": ".schemas",
    **dict.fromkeys(("ConsentRequestData", "ConsentService", "terms_of"), ".service"),
}

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)

__all__ = ["PURPOSE_LABELS", "AccessGrant", "AccessMode", "ConsentAction", "ConsentFrequencyExhausted",
           "ConsentNotFound", "ConsentRefused", "ConsentRequestData", "ConsentRequestIn", "ConsentService",
           "ConsentStatus", "ConsentTerms", "DataCategory", "Frequency", "PeriodUnit", "Purpose",
           "effective_status", "terms_of"]
