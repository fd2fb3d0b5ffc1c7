"""antifraud: analyst cases and their history

Revision ID: antifraud_0002
Revises: antifraud_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "antifraud_0002"
down_revision = "antifraud_0001"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "fraud_cases",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("institution_id", sa.String(200), nullable=True),
        sa.Column("amount_fen", BigInt, nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("opened_at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("decided_at", bayfin.kernel.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_cases")),
        sa.UniqueConstraint("event_id", name=op.f("uq_fraud_cases_event_id")),
    )
    op.create_index(op.f("ix_fraud_cases_customer_id"), "fraud_cases", ["customer_id"])
    op.create_index(op.f("ix_fraud_cases_assignee"), "fraud_cases", ["assignee"])
    op.create_index("ix_fraud_cases_status_priority", "fraud_cases", ["status", "priority"])
    op.create_table(
        "fraud_case_entries",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("case_id", BigInt, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_case_entries")),
    )
    op.create_index(op.f("ix_fraud_case_entries_case_id"), "fraud_case_entries", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fraud_case_entries_case_id"), table_name="fraud_case_entries")
    op.drop_table("fraud_case_entries")
    op.drop_index("ix_fraud_cases_status_priority", table_name="fraud_cases")
    op.drop_index(op.f("ix_fraud_cases_assignee"), table_name="fraud_cases")
    op.drop_index(op.f("ix_fraud_cases_customer_id"), table_name="fraud_cases")
    op.drop_table("fraud_cases")
