"""sscard: counter deposits keyed by the depositor's reference, so a retried deposit credits once

Revision ID: sscard_0003
Revises: sscard_0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "sscard_0003"
down_revision = "sscard_0002"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sscard_counter_deposits",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("card_id", sa.String(40), nullable=False),
        sa.Column("amount_minor", BigInt, nullable=False),
        sa.Column("txn_id", BigInt, nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("created_at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["sscard_cards.id"],
                                name=op.f("fk_sscard_counter_deposits_card_id_sscard_cards")),
        sa.ForeignKeyConstraint(["txn_id"], ["sscard_ledger_txns.id"],
                                name=op.f("fk_sscard_counter_deposits_txn_id_sscard_ledger_txns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_counter_deposits")),
        sa.UniqueConstraint("source", "reference", name="uq_sscard_counter_deposits_ref"),
        sa.UniqueConstraint("txn_id", name=op.f("uq_sscard_counter_deposits_txn_id")),
    )
    op.create_index(op.f("ix_sscard_counter_deposits_card_id"), "sscard_counter_deposits", ["card_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sscard_counter_deposits_card_id"), table_name="sscard_counter_deposits")
    op.drop_table("sscard_counter_deposits")
