"""Tables of the terminal-monitoring module: sites, provisioning profiles, terminals, their telemetry
history, alarms and commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime

BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Site(Base):
    """A pharmacy or hospital (定点医药机构) where terminals are installed."""

    __tablename__ = "terminals_sites"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # pharmacy | hospital
    licence: Mapped[str] = mapped_column(String(64))
    lat_micro: Mapped[int] = mapped_column(Integer)  # micro-degrees: exact and portable
    lon_micro: Mapped[int] = mapped_column(Integer)
    geofence_m: Mapped[int] = mapped_column(Integer)
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Profile(Base):
    """A provisioning profile: a batch of devices that share a provisioning key (the secret is derived)."""

    __tablename__ = "terminals_profiles"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Terminal(Base):
    """A card terminal and what the platform last heard from it."""

    __tablename__ = "terminals_terminals"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    model: Mapped[str] = mapped_column(String(40))
    firmware: Mapped[str] = mapped_column(String(40))
    bank_id: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[str] = mapped_column(ForeignKey("terminals_sites.id"), index=True)
    profile_key: Mapped[str] = mapped_column(ForeignKey("terminals_profiles.key"))
    #: Bumped on each provisioning: the device key is derived from (serial, generation).
    key_generation: Mapped[int] = mapped_column(Integer, default=0)
    provisioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_lat_micro: Mapped[int | None] = mapped_column(Integer)
    last_lon_micro: Mapped[int | None] = mapped_column(Integer)
    last_accuracy_m: Mapped[int | None] = mapped_column(Integer)
    last_fix_source: Mapped[str | None] = mapped_column(String(8))
    txn_counter: Mapped[int | None] = mapped_column(BigInt)
    txn_counter_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    baseline_milli_per_hour: Mapped[int | None] = mapped_column(BigInt)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Device time and sequence number of the last telemetry applied: an older message is a replay.
    telemetry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    telemetry_seq: Mapped[int] = mapped_column(BigInt, default=0)
    #: The device's own timestamp on its last accepted status message: an older one is a replay.
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The nonce of the last will armed at the current connection (announced in the signed "online")
    #: and whether that will has fired: a will is accepted once.
    will_nonce: Mapped[str | None] = mapped_column(String(32))
    will_consumed: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(Base):
    """A terminal's history: telemetry received, refusals, connects and disconnects."""

    __tablename__ = "terminals_events"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str | None] = mapped_column(ForeignKey("terminals_terminals.id"), index=True)
    serial: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Alarm(Base):
    """A rule's finding about a terminal, with ThingsBoard-style active/cleared × ack/unack states."""

    __tablename__ = "terminals_alarms"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str | None] = mapped_column(ForeignKey("terminals_terminals.id"), index=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("terminals_sites.id"), index=True)
    rule: Mapped[str] = mapped_column(String(20), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    cleared: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))


class ProvisionNonce(Base):
    """A nonce a terminal has provisioned with: each is accepted once, so a captured request cannot be
    replayed to rotate the device's key from under it."""

    __tablename__ = "terminals_provision_nonces"

    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals_terminals.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScanCursor(Base):
    """How far a periodic scan has read another module's records (by their increasing id)."""

    __tablename__ = "terminals_scan_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInt)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Command(Base):
    """A command to a terminal, published after commit and tracked until the device acknowledges it."""

    __tablename__ = "terminals_commands"
    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals_terminals.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # lock | unlock | configure
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(12))  # queued | sent | acknowledged | failed
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[str | None] = mapped_column(String(200))
