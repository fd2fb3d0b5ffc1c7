"""creditreport: post-loan monitoring subscriptions and notifications

Revision ID: creditreport_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "creditreport_0001"
down_revision = None
branch_labels = ("creditreport",)
depends_on = "kernel_0001"

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = bayfin.kernel.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "monitoring_subscription",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("institution_id", sa.String(100), nullable=False),
        sa.Column("consent_id", sa.String(40), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("webhook_url", sa.String(500), nullable=True),
        sa.Column("webhook_secret", sa.String(100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("last_checked_at", TS(), nullable=True),
        sa.Column("ended_reason", sa.String(60), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_subscription")),
    )
    for col in ("institution_id", "consent_id", "credit_code"):
        op.create_index(op.f(f"ix_monitoring_subscription_{col}"), "monitoring_subscription", [col])
    op.create_table(
        "monitoring_notification",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.String(40), nullable=False),
        sa.Column("institution_id", sa.String(100), nullable=False),
        sa.Column("consent_id", sa.String(40), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("at", TS(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("delivered_at", TS(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["monitoring_subscription.id"],
                                name=op.f("fk_monitoring_notification_subscription_id_monitoring_subscription")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_notification")),
    )
    op.create_index(op.f("ix_monitoring_notification_subscription_id"), "monitoring_notification",
                    ["subscription_id"])
    op.create_index(op.f("ix_monitoring_notification_institution_id"), "monitoring_notification",
                    ["institution_id"])


def downgrade() -> None:
    op.drop_table("monitoring_notification")
    op.drop_table("monitoring_subscription")
