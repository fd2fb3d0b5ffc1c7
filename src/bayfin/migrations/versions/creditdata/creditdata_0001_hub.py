"""creditdata: delivery batches, quarantine and one table per standard record type

Revision ID: creditdata_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "creditdata_0001"
down_revision = None
branch_labels = ("creditdata",)
depends_on = "kernel_0001"

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fact_table(name: str, columns: list[sa.Column[object]]) -> None:
    """A standard record table: provenance columns, then the record type's own fields."""
    op.create_table(
        name,
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("record_key", sa.String(80), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("replaced_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_credit_code"), name, ["credit_code", "record_key"])


def upgrade() -> None:
    op.create_table(
        "hub_batch",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("record_type", sa.String(60), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("started_at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", bayfin.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("rows_in", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_batch")),
    )
    op.create_index(op.f("ix_hub_batch_source"), "hub_batch", ["source", "file_sha256"], unique=True)
    op.create_table(
        "hub_quarantine",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("credit_code", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_quarantine")),
    )
    op.create_index(op.f("ix_hub_quarantine_batch_id"), "hub_quarantine", ["batch_id", "row_number"])
    op.create_index(op.f("ix_hub_quarantine_source"), "hub_quarantine", ["source"])
    op.create_index(op.f("ix_hub_quarantine_reason"), "hub_quarantine", ["reason"])
    _fact_table(
        "hub_registration",
        [
            sa.Column("name", sa.String(500), nullable=True),
            sa.Column("legal_representative", sa.String(500), nullable=True),
            sa.Column("registered_capital_fen", BigInt, nullable=True),
            sa.Column("founded_on", sa.Date(), nullable=True),
            sa.Column("industry_code", sa.String(40), nullable=True),
            sa.Column("city_code", sa.String(40), nullable=True),
            sa.Column("address", sa.String(500), nullable=True),
            sa.Column("status", sa.String(40), nullable=True),
        ],
    )
    _fact_table(
        "hub_abnormal_operation",
        [
            sa.Column("listed_on", sa.Date(), nullable=True),
            sa.Column("reason", sa.String(500), nullable=True),
            sa.Column("authority", sa.String(500), nullable=True),
            sa.Column("removed_on", sa.Date(), nullable=True),
        ],
    )
    _fact_table(
        "hub_administrative_penalty",
        [
            sa.Column("decision_no", sa.String(500), nullable=True),
            sa.Column("decided_on", sa.Date(), nullable=True),
            sa.Column("authority", sa.String(500), nullable=True),
            sa.Column("violation", sa.String(500), nullable=True),
            sa.Column("fine_fen", BigInt, nullable=True),
        ],
    )
    _fact_table(
        "hub_tax_payment",
        [
            sa.Column("period", sa.Date(), nullable=True),
            sa.Column("credit_grade", sa.String(40), nullable=True),
            sa.Column("tax_paid_fen", sa.JSON(), nullable=True),
            sa.Column("vat_sales_fen", sa.JSON(), nullable=True),
            sa.Column("arrears_fen", BigInt, nullable=True),
        ],
    )
    _fact_table(
        "hub_social_insurance",
        [
            sa.Column("period", sa.Date(), nullable=True),
            sa.Column("insured_headcount", sa.JSON(), nullable=True),
            sa.Column("arrears_fen", BigInt, nullable=True),
        ],
    )
    _fact_table(
        "hub_customs_trade",
        [
            sa.Column("period", sa.Date(), nullable=True),
            sa.Column("customs_grade", sa.String(40), nullable=True),
            sa.Column("import_fen", sa.JSON(), nullable=True),
            sa.Column("export_fen", sa.JSON(), nullable=True),
        ],
    )
    _fact_table(
        "hub_judicial_case",
        [
            sa.Column("case_no", sa.String(500), nullable=True),
            sa.Column("role", sa.String(40), nullable=True),
            sa.Column("case_kind", sa.String(40), nullable=True),
            sa.Column("filed_on", sa.Date(), nullable=True),
            sa.Column("amount_fen", BigInt, nullable=True),
            sa.Column("status", sa.String(40), nullable=True),
        ],
    )
    _fact_table(
        "hub_utility_payment",
        [
            sa.Column("period", sa.Date(), nullable=True),
            sa.Column("electricity_kwh", sa.JSON(), nullable=True),
            sa.Column("water_m3", sa.JSON(), nullable=True),
            sa.Column("arrears_fen", BigInt, nullable=True),
        ],
    )
    _fact_table(
        "hub_provident_fund",
        [
            sa.Column("period", sa.Date(), nullable=True),
            sa.Column("contributors", sa.JSON(), nullable=True),
            sa.Column("arrears_fen", BigInt, nullable=True),
        ],
    )
    _fact_table(
        "hub_intellectual_property",
        [
            sa.Column("registration_no", sa.String(500), nullable=True),
            sa.Column("ip_kind", sa.String(40), nullable=True),
            sa.Column("title", sa.String(500), nullable=True),
            sa.Column("granted_on", sa.Date(), nullable=True),
        ],
    )
    op.create_index(op.f("ix_hub_registration_name"), "hub_registration", ["name"])


def downgrade() -> None:
    for name in (
        "hub_registration",
        "hub_abnormal_operation",
        "hub_administrative_penalty",
        "hub_tax_payment",
        "hub_social_insurance",
        "hub_customs_trade",
        "hub_judicial_case",
        "hub_utility_payment",
        "hub_provident_fund",
        "hub_intellectual_property",
        "hub_quarantine",
        "hub_batch",
    ):
        op.drop_table(name)
