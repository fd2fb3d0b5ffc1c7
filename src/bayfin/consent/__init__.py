"""Consent (授权): enterprises decide which institution sees which of their data, for what, how long.

Other modules check every query through :class:`ConsentService.authorize_use`.
"""

from bayfin.consent.domain import AccessGrant, DataCategory, Purpose
from bayfin.consent.errors import ConsentFrequencyExhausted, ConsentNotFound, ConsentRefused
from bayfin.consent.service import ConsentService

__all__ = ["AccessGrant", "ConsentFrequencyExhausted", "ConsentNotFound", "ConsentRefused",
           "ConsentService", "DataCategory", "Purpose"]
