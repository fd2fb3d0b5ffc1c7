"""consent: artefacts, status events and uses

Revision ID: consent_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "consent_0001"
down_revision = None
branch_labels = ("consent",)
depends_on = "kernel_0001"

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = bayfin.kernel.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("institution_id", sa.String(100), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("purpose_code", sa.String(8), nullable=False),
        sa.Column("purpose_text", sa.String(500), nullable=False),
        sa.Column("requested_categories", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("access_mode", sa.String(16), nullable=False),
        sa.Column("frequency_unit", sa.String(8), nullable=False),
        sa.Column("frequency_value", sa.Integer(), nullable=False),
        sa.Column("data_from", sa.Date(), nullable=False),
        sa.Column("data_to", sa.Date(), nullable=False),
        sa.Column("valid_from", TS(), nullable=False),
        sa.Column("valid_until", TS(), nullable=False),
        sa.Column("data_life_unit", sa.String(8), nullable=False),
        sa.Column("data_life_value", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_changed_at", TS(), nullable=False),
        sa.Column("linked_application_id", sa.String(60), nullable=True),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("last_used_at", TS(), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("signed_artefact", sa.JSON(), nullable=True),
        sa.Column("created_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    op.create_index(op.f("ix_consent_credit_code"), "consent", ["credit_code"])
    op.create_index(op.f("ix_consent_institution_id"), "consent", ["institution_id"])
    op.create_index(op.f("ix_consent_status"), "consent", ["status"])
    op.create_table(
        "consent_event",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("consent_id", sa.String(40), nullable=False),
        sa.Column("at", TS(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(60), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["consent_id"], ["consent.id"],
                                name=op.f("fk_consent_event_consent_id_consent")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_event")),
    )
    op.create_index(op.f("ix_consent_event_consent_id"), "consent_event", ["consent_id"])
    op.create_table(
        "consent_use",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("consent_id", sa.String(40), nullable=False),
        sa.Column("at", TS(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("endpoint", sa.String(60), nullable=False),
        sa.ForeignKeyConstraint(["consent_id"], ["consent.id"],
                                name=op.f("fk_consent_use_consent_id_consent")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_use")),
    )
    op.create_index(op.f("ix_consent_use_consent_id"), "consent_use", ["consent_id"])
    op.create_index(op.f("ix_consent_use_at"), "consent_use", ["at"])


def downgrade() -> None:
    op.drop_table("consent_use")
    op.drop_table("consent_event")
    op.drop_table("consent")
