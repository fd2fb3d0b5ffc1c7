"""tokens: token requestors, the account vault, payment tokens and the webhook outbox

Revision ID: tokens_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "tokens_0001"
down_revision = None
branch_labels = ("tokens",)
depends_on = "kernel_0001"

TS = bayfin.kernel.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "tokens_requestors",
        sa.Column("id", sa.String(11), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("merchants", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.String(500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens_requestors")),
        sa.UniqueConstraint("client_id", name=op.f("uq_tokens_requestors_client_id")),
    )
    op.create_table(
        "tokens_accounts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("number_digest", sa.String(64), nullable=False),
        sa.Column("par", sa.String(29), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("bank_code", sa.String(20), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("master_key_id", sa.String(40), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens_accounts")),
        sa.UniqueConstraint("number_digest", name=op.f("uq_tokens_accounts_number_digest")),
    )
    for col in ("par", "holder", "master_key_id"):
        op.create_index(op.f(f"ix_tokens_accounts_{col}"), "tokens_accounts", [col])
    op.create_table(
        "tokens_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("number", sa.String(19), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("requestor_id", sa.String(11), nullable=False),
        sa.Column("device_id", sa.String(100), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("assurance", sa.String(12), nullable=False),
        sa.Column("controls", sa.JSON(), nullable=False),
        sa.Column("atc", sa.Integer(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["tokens_accounts.id"],
                                name=op.f("fk_tokens_tokens_account_id_tokens_accounts")),
        sa.ForeignKeyConstraint(["requestor_id"], ["tokens_requestors.id"],
                                name=op.f("fk_tokens_tokens_requestor_id_tokens_requestors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens_tokens")),
        sa.UniqueConstraint("number", name=op.f("uq_tokens_tokens_number")),
        sa.UniqueConstraint("account_id", "requestor_id", "device_id",
                            name=op.f("uq_tokens_tokens_account_id_requestor_id_device_id")),
    )
    for col in ("account_id", "requestor_id"):
        op.create_index(op.f(f"ix_tokens_tokens_{col}"), "tokens_tokens", [col])
    op.create_table(
        "tokens_webhooks",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("requestor_id", sa.String(11), nullable=False),
        sa.Column("token_id", sa.String(32), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("next_attempt_at", TS(), nullable=False),
        sa.Column("delivered_at", TS(), nullable=True),
        sa.Column("created_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(["requestor_id"], ["tokens_requestors.id"],
                                name=op.f("fk_tokens_webhooks_requestor_id_tokens_requestors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens_webhooks")),
    )
    op.create_index(op.f("ix_tokens_webhooks_requestor_id"), "tokens_webhooks", ["requestor_id"])
    op.create_index("ix_tokens_webhooks_due", "tokens_webhooks", ["state", "next_attempt_at"])


def downgrade() -> None:
    for table in ("tokens_webhooks", "tokens_tokens", "tokens_accounts", "tokens_requestors"):
        op.drop_table(table)
