"""antifraud: list entries have an owner, and consortium (shared) entries are marked

Revision ID: antifraud_0003
Revises: antifraud_0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "antifraud_0003"
down_revision = "antifraud_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries made before owners existed were the platform's: they stay ownerless and shared, so no
    # bank loses a block it relied on, and no bank can change them (only the platform's CLI can).
    with op.batch_alter_table("fraud_list_entries") as batch:
        batch.add_column(sa.Column("institution_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.create_index("ix_fraud_list_entries_institution_id", ["institution_id"])


def downgrade() -> None:
    with op.batch_alter_table("fraud_list_entries") as batch:
        batch.drop_index("ix_fraud_list_entries_institution_id")
        batch.drop_column("shared")
        batch.drop_column("institution_id")
