"""antifraud: decisions and block/allow/watch lists

Revision ID: antifraud_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "antifraud_0001"
down_revision = None
branch_labels = ("antifraud",)
depends_on = "kernel_0001"

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "fraud_decisions",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("decided_at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("amount_fen", BigInt, nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("primary_typology", sa.String(40), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("shadow_rules", sa.JSON(), nullable=False),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("amount_protected_fen", BigInt, nullable=False),
        sa.Column("ruleset_version", sa.String(60), nullable=False),
        sa.Column("institution_id", sa.String(200), nullable=True),
        sa.Column("elapsed_us", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_decisions")),
        sa.UniqueConstraint("event_id", name=op.f("uq_fraud_decisions_event_id")),
    )
    op.create_index(op.f("ix_fraud_decisions_customer_id"), "fraud_decisions", ["customer_id"])
    op.create_index(op.f("ix_fraud_decisions_primary_typology"), "fraud_decisions", ["primary_typology"])
    op.create_index("ix_fraud_decisions_decided_at_outcome", "fraud_decisions", ["decided_at", "outcome"])
    op.create_table(
        "fraud_list_entries",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("entity_type", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("expires_at", bayfin.kernel.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_list_entries")),
    )
    op.create_index(op.f("ix_fraud_list_entries_expires_at"), "fraud_list_entries", ["expires_at"])
    op.create_index("ix_fraud_list_entries_entity", "fraud_list_entries", ["entity_type", "value"])


def downgrade() -> None:
    op.drop_table("fraud_list_entries")
    op.drop_table("fraud_decisions")
