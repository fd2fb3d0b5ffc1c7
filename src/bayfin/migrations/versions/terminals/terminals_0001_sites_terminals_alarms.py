"""terminals: sites, provisioning profiles, terminals, events, alarms and commands

Revision ID: terminals_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "terminals_0001"
down_revision = None
branch_labels = ("terminals",)
depends_on = "kernel_0001"

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = bayfin.kernel.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "terminals_sites",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("licence", sa.String(64), nullable=False),
        sa.Column("lat_micro", sa.Integer(), nullable=False),
        sa.Column("lon_micro", sa.Integer(), nullable=False),
        sa.Column("geofence_m", sa.Integer(), nullable=False),
        sa.Column("opening_hours", sa.JSON(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals_sites")),
        sa.UniqueConstraint("code", name=op.f("uq_terminals_sites_code")),
    )
    op.create_table(
        "terminals_profiles",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("bank_id", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_terminals_profiles")),
    )
    op.create_table(
        "terminals_terminals",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("serial", sa.String(40), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("firmware", sa.String(40), nullable=False),
        sa.Column("bank_id", sa.String(20), nullable=False),
        sa.Column("site_id", sa.String(26), nullable=False),
        sa.Column("profile_key", sa.String(40), nullable=False),
        sa.Column("key_generation", sa.Integer(), nullable=False),
        sa.Column("provisioned_at", TS(), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("last_seen", TS(), nullable=True),
        sa.Column("last_lat_micro", sa.Integer(), nullable=True),
        sa.Column("last_lon_micro", sa.Integer(), nullable=True),
        sa.Column("last_accuracy_m", sa.Integer(), nullable=True),
        sa.Column("last_fix_source", sa.String(8), nullable=True),
        sa.Column("txn_counter", BigInt, nullable=True),
        sa.Column("txn_counter_at", TS(), nullable=True),
        sa.Column("baseline_milli_per_hour", BigInt, nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["terminals_sites.id"],
                                name=op.f("fk_terminals_terminals_site_id_terminals_sites")),
        sa.ForeignKeyConstraint(["profile_key"], ["terminals_profiles.key"],
                                name=op.f("fk_terminals_terminals_profile_key_terminals_profiles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals_terminals")),
        sa.UniqueConstraint("serial", name=op.f("uq_terminals_terminals_serial")),
    )
    op.create_index(op.f("ix_terminals_terminals_site_id"), "terminals_terminals", ["site_id"])
    op.create_index(op.f("ix_terminals_terminals_last_seen"), "terminals_terminals", ["last_seen"])
    op.create_table(
        "terminals_events",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(26), nullable=True),
        sa.Column("serial", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", TS(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals_terminals.id"],
                                name=op.f("fk_terminals_events_terminal_id_terminals_terminals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals_events")),
    )
    op.create_index(op.f("ix_terminals_events_terminal_id"), "terminals_events", ["terminal_id"])
    op.create_index(op.f("ix_terminals_events_at"), "terminals_events", ["at"])
    op.create_table(
        "terminals_alarms",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(26), nullable=True),
        sa.Column("site_id", sa.String(26), nullable=True),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("event_at", TS(), nullable=False),
        sa.Column("raised_at", TS(), nullable=False),
        sa.Column("cleared_at", TS(), nullable=True),
        sa.Column("acknowledged_at", TS(), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals_terminals.id"],
                                name=op.f("fk_terminals_alarms_terminal_id_terminals_terminals")),
        sa.ForeignKeyConstraint(["site_id"], ["terminals_sites.id"],
                                name=op.f("fk_terminals_alarms_site_id_terminals_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals_alarms")),
    )
    for col in ("terminal_id", "site_id", "rule", "cleared"):
        op.create_index(op.f(f"ix_terminals_alarms_{col}"), "terminals_alarms", [col])
    op.create_table(
        "terminals_commands",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("terminal_id", sa.String(26), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("sent_at", TS(), nullable=True),
        sa.Column("acknowledged_at", TS(), nullable=True),
        sa.Column("result", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals_terminals.id"],
                                name=op.f("fk_terminals_commands_terminal_id_terminals_terminals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals_commands")),
    )
    op.create_index(op.f("ix_terminals_commands_terminal_id"), "terminals_commands", ["terminal_id"])


def downgrade() -> None:
    for table in ("terminals_commands", "terminals_alarms", "terminals_events", "terminals_terminals",
                  "terminals_profiles", "terminals_sites"):
        op.drop_table(table)
