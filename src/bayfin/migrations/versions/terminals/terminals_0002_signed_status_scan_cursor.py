"""terminals: replay-proof provisioning, telemetry and status (signed last will); the scan cursor

Revision ID: terminals_0002
Revises: terminals_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "terminals_0002"
down_revision = "terminals_0001"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = bayfin.kernel.db.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("terminals_terminals") as batch:
        batch.add_column(sa.Column("telemetry_at", TS(), nullable=True))
        batch.add_column(sa.Column("telemetry_seq", BigInt, nullable=False, server_default="0"))
        batch.add_column(sa.Column("status_at", TS(), nullable=True))
        batch.add_column(sa.Column("will_nonce", sa.String(32), nullable=True))
        batch.add_column(sa.Column("will_consumed", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "terminals_provision_nonces",
        sa.Column("terminal_id", sa.String(26), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("used_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals_terminals.id"],
                                name=op.f("fk_terminals_provision_nonces_terminal_id_terminals_terminals")),
        sa.PrimaryKeyConstraint("terminal_id", "nonce", name=op.f("pk_terminals_provision_nonces")),
    )
    op.create_table(
        "terminals_scan_cursors",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("position", BigInt, nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_terminals_scan_cursors")),
    )


def downgrade() -> None:
    op.drop_table("terminals_scan_cursors")
    op.drop_table("terminals_provision_nonces")
    with op.batch_alter_table("terminals_terminals") as batch:
        batch.drop_column("will_consumed")
        batch.drop_column("will_nonce")
        batch.drop_column("status_at")
        batch.drop_column("telemetry_seq")
        batch.drop_column("telemetry_at")
