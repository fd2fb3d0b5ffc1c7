"""The financing marketplace's settings (``BAYFIN_FINANCING_*``): the service window and the holiday
calendar, validated once at start-up (a bad date or a non-positive window refuses to start)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bayfin.financing.domain import SERVICE_WINDOW_WORKING_DAYS, parse_holidays

__all__ = ["FinancingSettings"]


class FinancingSettings(BaseSettings):
    """Marketplace knobs (``BAYFIN_FINANCING_*``)."""

    model_config = SettingsConfigDict(env_prefix="BAYFIN_FINANCING_", env_file=None, extra="ignore")

    holidays: str = Field(default="", description="Public holidays that are not working days, as ISO dates "
                          "separated by commas or spaces; empty: the 2025-2026 PRC statutory holidays "
                          "that fall on weekdays.")
    service_days: int = Field(default=SERVICE_WINDOW_WORKING_DAYS, ge=1, description="Working days a bank "
                              "has to respond to a loan application (the service window).")

    @field_validator("holidays")
    @classmethod
    def _dates(cls, value: str) -> str:
        if value:
            parse_holidays(value)  # ValueError names the bad date
        return value
