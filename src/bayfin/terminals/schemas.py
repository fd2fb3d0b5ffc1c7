"""Request and response bodies of the terminal-monitoring API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from bayfin.kernel.fields import Int64, StrictInt, Text
from bayfin.terminals.views import AlarmRow


class SiteIn(BaseModel):
    """A site to register."""

    code: Text = Field(min_length=1, max_length=32)
    name: Text = Field(min_length=1, max_length=120)
    kind: Literal["pharmacy", "hospital"]
    licence: Text = Field(min_length=1, max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    geofence_m: StrictInt = Field(150, ge=10, le=50_000)
    opening_hours: dict[Text, list[list[Text]]]


class SiteOut(BaseModel):
    """A registered site and its map status."""

    id: str
    code: str
    name: str
    kind: str
    licence: str
    lat: float
    lon: float
    geofence_m: int
    opening_hours: dict[str, Any]
    status: str
    active_alarms: dict[str, int] = Field(default_factory=dict)
    terminals: int = 0
    connected_terminals: int = 0


class TerminalIn(BaseModel):
    """A terminal to register."""

    serial: Text = Field(min_length=1, max_length=40)
    model: Text = Field(min_length=1, max_length=40)
    firmware: Text = Field(min_length=1, max_length=40)
    site_code: Text = Field(min_length=1, max_length=32)
    bank_id: Text = Field(min_length=1, max_length=20)
    profile_key: Text = Field(min_length=1, max_length=40)


class TerminalOut(BaseModel):
    """A terminal and its last known state."""

    id: str
    serial: str
    model: str
    firmware: str
    bank_id: str
    site_id: str
    provisioned: bool
    connected: bool
    locked: bool
    last_seen: datetime | None
    position: dict[str, Any] | None
    txn_counter: int | None
    config: dict[str, Any]


class CommandIn(BaseModel):
    """A command for a terminal."""

    action: Literal["lock", "unlock", "configure"]
    params: dict[Annotated[Text, Field(max_length=64)], Text | Int64 | bool] = Field(default_factory=dict,
                                                                                max_length=32)


class CommandOut(BaseModel):
    """A command and where it stands (queued → sent → acknowledged | failed)."""

    id: str
    terminal_id: str
    action: str
    params: dict[str, Any]
    state: str
    requested_by: str
    created_at: datetime
    sent_at: datetime | None
    acknowledged_at: datetime | None
    result: str | None = None


class EventOut(BaseModel):
    """One entry of a terminal's history."""

    kind: str
    at: datetime
    data: dict[str, Any]


class HistoryOut(BaseModel):
    """A terminal, its recent events, alarms and commands."""

    terminal: TerminalOut
    events: list[EventOut]
    alarms: list[AlarmRow]
    commands: list[CommandOut]


class RefusalOut(BaseModel):
    """A refused provisioning request, telemetry or status message."""

    id: int
    kind: str
    serial: str
    terminal_id: str | None
    at: datetime
    reason: str | None
    profile: str | None
