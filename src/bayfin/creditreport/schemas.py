"""Credit report and monitoring API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bayfin.creditreport.domain import ReportRefusal
from bayfin.kernel.fields import Text


class ReportConsent(BaseModel):
    """The consent the report was produced under."""

    id: str
    purpose_code: str
    categories: list[str]
    data_from: date
    data_to: date


class CreditReportOut(BaseModel):
    """A credit report: only consented categories and dates, each value with its source and as-of date."""

    credit_code: str
    generated_at: datetime
    institution_id: str | None
    consent: ReportConsent
    registration: dict[str, Any] | None = Field(
        description="Current registration record (only with the registration category)")
    sections: dict[str, list[dict[str, Any]]] = Field(
        description="Record type → rows, each with values, source, batch_id, row_number and as_of")
    indicators: dict[str, Any]


class BatchItem(BaseModel):
    """One enterprise to report on, under its own consent."""

    model_config = ConfigDict(extra="forbid")

    credit_code: Text = Field(min_length=1, max_length=40)
    consent_id: Text = Field(min_length=1, max_length=60)


class BatchIn(BaseModel):
    """Up to 1,000 enterprises in one call (post-loan monitoring)."""

    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(min_length=1, max_length=1000)


class BatchOut(BaseModel):
    """Reports delivered and refusals, counted: requested = delivered + refused."""

    requested: int
    delivered: int
    refused: int
    reports: list[CreditReportOut]
    refusals: list[ReportRefusal]


class SubscribeIn(BaseModel):
    """Watch the firm a periodic consent covers."""

    model_config = ConfigDict(extra="forbid")

    consent_id: str
    webhook_url: str | None = Field(default=None, max_length=500)


class SubscriptionOut(BaseModel):
    """A monitoring subscription (the webhook secret appears only in the creation response)."""

    id: str
    consent_id: str
    credit_code: str
    webhook_url: str | None
    active: bool
    ended_reason: str | None
    created_at: datetime
    last_checked_at: datetime | None
    webhook_secret: str | None = None


class NotificationOut(BaseModel):
    """One change of a watched firm."""

    id: int
    subscription_id: str
    consent_id: str
    credit_code: str
    at: datetime
    changes: list[dict[str, Any]]
    delivered_at: datetime | None


class ScanOut(BaseModel):
    """What one monitoring scan found."""

    checked: int
    changed: int
    ended: int
    paused: int
    notifications: list[int]
