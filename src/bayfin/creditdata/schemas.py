"""API shapes of the credit data hub."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class SourcedRecord(BaseModel):
    """One standard record with where it came from: source, delivery batch, row and as-of date."""

    record_key: str = Field(description="Period (YYYY-MM), case or decision number, … ('' for registration)")
    values: dict[str, Any] = Field(
        description="Standard fields; amounts in integer fen, monthly series as lists"
    )
    source: str
    batch_id: str
    row_number: int
    as_of: date = Field(description="When the value became known (the delivery's as-of date)")
    replaced_on: date | None = Field(None, description="When a correction superseded it (history only)")


class EnterpriseRecord(BaseModel):
    """An enterprise's standard record keyed by its unified social credit code (统一社会信用代码)."""

    credit_code: str
    as_of: date | None
    registration: SourcedRecord | None
    domains: dict[str, list[SourcedRecord]]


class BatchOut(BaseModel):
    """One delivery batch and what happened to its rows."""

    batch_id: str
    source: str
    record_type: str
    file: str
    as_of: date
    rows_in: int
    stored: int
    updated: int
    unchanged: int
    quarantined: int


class HubStatus(BaseModel):
    """Batches, totals and quarantine counts by reason."""

    totals: dict[str, int]
    quarantine_by_reason: dict[str, int]
    batches: list[BatchOut]
