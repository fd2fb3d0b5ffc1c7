"""tokens: payments by token, the bank-operations outbox, per-token holder and limited-use keys

Existing tokens take their holder from their vault record; their key has no recorded expiry, so the
device replenishes it before its next payment.

Revision ID: tokens_0002
Revises: tokens_0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "tokens_0002"
down_revision = "tokens_0001"
branch_labels = None
depends_on = None

TS = bayfin.kernel.db.UTCDateTime
BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("tokens_tokens") as batch:
        batch.add_column(sa.Column("holder", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("luk_seq", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("luk_expires_at", TS(), nullable=True))
        batch.add_column(sa.Column("luk_uses", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("suspended_for", sa.String(24), nullable=True))
        batch.add_column(sa.Column("step_up_ref", sa.String(64), nullable=True))
    op.execute("UPDATE tokens_tokens SET holder = (SELECT a.holder FROM tokens_accounts a "
               "WHERE a.id = tokens_tokens.account_id)")
    with op.batch_alter_table("tokens_tokens") as batch:
        for col in ("holder", "luk_seq", "luk_uses"):
            batch.alter_column(col, server_default=None)
    op.create_index(op.f("ix_tokens_tokens_holder"), "tokens_tokens", ["holder"])
    op.create_table(
        "tokens_payments",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("token_id", sa.String(32), nullable=False),
        sa.Column("requestor_id", sa.String(11), nullable=False),
        sa.Column("atc", sa.Integer(), nullable=False),
        sa.Column("bank_code", sa.String(20), nullable=False),
        sa.Column("amount_fen", BigInt, nullable=False),
        sa.Column("merchant_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("response_code", sa.String(4), nullable=True),
        sa.Column("authorization_id", sa.String(64), nullable=True),
        sa.Column("refunded_fen", BigInt, nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["tokens_tokens.id"],
                                name=op.f("fk_tokens_payments_token_id_tokens_tokens")),
        sa.ForeignKeyConstraint(["requestor_id"], ["tokens_requestors.id"],
                                name=op.f("fk_tokens_payments_requestor_id_tokens_requestors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens_payments")),
        sa.UniqueConstraint("token_id", "atc", name=op.f("uq_tokens_payments_token_id_atc")),
    )
    op.create_index(op.f("ix_tokens_payments_requestor_id"), "tokens_payments", ["requestor_id"])
    op.create_index("ix_tokens_payments_state_updated", "tokens_payments", ["state", "updated_at"])
    op.create_table(
        "tokens_bank_operations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("payment_id", sa.String(32), nullable=False),
        sa.Column("bank_code", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("amount_fen", BigInt, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("next_attempt_at", TS(), nullable=False),
        sa.Column("done_at", TS(), nullable=True),
        sa.Column("created_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["tokens_payments.id"],
                                name=op.f("fk_tokens_bank_operations_payment_id_tokens_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens_bank_operations")),
    )
    op.create_index(op.f("ix_tokens_bank_operations_payment_id"), "tokens_bank_operations", ["payment_id"])
    op.create_index("ix_tokens_bank_operations_due", "tokens_bank_operations", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("tokens_bank_operations")
    op.drop_table("tokens_payments")
    op.drop_index(op.f("ix_tokens_tokens_holder"), table_name="tokens_tokens")
    with op.batch_alter_table("tokens_tokens") as batch:
        for col in ("step_up_ref", "suspended_for", "luk_uses", "luk_expires_at", "luk_seq", "holder"):
            batch.drop_column(col)
