"""supplychain: edge store, graph delivery batches and quarantine, risk signals

Revision ID: supplychain_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "supplychain_0001"
down_revision = None
branch_labels = ("supplychain",)
depends_on = "kernel_0001"

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the graph tables."""
    op.create_table(
        "graph_edge",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("record_key", sa.String(120), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("amount_fen", BigInt, nullable=False),
        sa.Column("share_bp", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_edge")),
    )
    op.create_index("ix_graph_edge_kind", "graph_edge", ["kind", "record_key"], unique=True)
    op.create_index("ix_graph_edge_source", "graph_edge", ["source", "kind"])
    op.create_index("ix_graph_edge_target", "graph_edge", ["target", "kind"])
    op.create_table(
        "graph_batch",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("finished_at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("rows_in", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_batch")),
    )
    op.create_index("ix_graph_batch_source", "graph_batch", ["source", "file_sha256"], unique=True)
    op.create_table(
        "graph_quarantine",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_quarantine")),
    )
    op.create_index("ix_graph_quarantine_batch_id", "graph_quarantine", ["batch_id", "row_number"])
    op.create_index(op.f("ix_graph_quarantine_reason"), "graph_quarantine", ["reason"])
    op.create_table(
        "graph_signal",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("subject", sa.String(40), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("raised_at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_signal")),
    )
    op.create_index("ix_graph_signal_kind", "graph_signal", ["kind", "key"], unique=True)
    op.create_index(op.f("ix_graph_signal_subject"), "graph_signal", ["subject"])


def downgrade() -> None:
    """Drop the graph tables."""
    for table in ("graph_signal", "graph_quarantine", "graph_batch", "graph_edge"):
        op.drop_table(table)
