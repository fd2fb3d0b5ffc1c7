"""financing: loan products, demands, applications, application events and operator alerts

Revision ID: financing_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "financing_0001"
down_revision = None
branch_labels = ("financing",)
depends_on = "kernel_0001"

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = bayfin.kernel.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "financing_products",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("institution_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("product_type", sa.String(20), nullable=False),
        sa.Column("min_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("max_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("min_term_months", sa.Integer(), nullable=False),
        sa.Column("max_term_months", sa.Integer(), nullable=False),
        sa.Column("min_rate_bp", sa.Integer(), nullable=False),
        sa.Column("max_rate_bp", sa.Integer(), nullable=False),
        sa.Column("cities", sa.JSON(), nullable=False),
        sa.Column("industries", sa.JSON(), nullable=False),
        sa.Column("min_firm_age_months", sa.Integer(), nullable=False),
        sa.Column("min_tax_grade", sa.String(1), nullable=True),
        sa.Column("min_score", sa.Integer(), nullable=True),
        sa.Column("no_dishonest_debtor", sa.Boolean(), nullable=False),
        sa.Column("collateral_required", sa.Boolean(), nullable=False),
        sa.Column("consent_categories", sa.JSON(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_products")),
    )
    op.create_index(op.f("ix_financing_products_institution_id"), "financing_products",
                    ["institution_id"])
    op.create_index(op.f("ix_financing_products_active"), "financing_products", ["active"])
    op.create_table(
        "financing_demands",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("collateral_offered", sa.Boolean(), nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("city_code", sa.String(12), nullable=True),
        sa.Column("industry_code", sa.String(8), nullable=True),
        sa.Column("firm_age_months", sa.Integer(), nullable=True),
        sa.Column("tax_grade", sa.String(1), nullable=True),
        sa.Column("dishonest_debtor", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("closed_at", TS(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_demands")),
    )
    op.create_index(op.f("ix_financing_demands_credit_code"), "financing_demands", ["credit_code"])
    op.create_index(op.f("ix_financing_demands_status"), "financing_demands", ["status"])
    op.create_table(
        "financing_applications",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("demand_id", sa.String(40), nullable=False),
        sa.Column("product_id", sa.String(40), nullable=False),
        sa.Column("institution_id", sa.String(40), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("requested_term_months", sa.Integer(), nullable=False),
        sa.Column("offered_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("offered_rate_bp", sa.Integer(), nullable=True),
        sa.Column("offered_term_months", sa.Integer(), nullable=True),
        sa.Column("approved_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("approved_rate_bp", sa.Integer(), nullable=True),
        sa.Column("approved_term_months", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.String(500), nullable=True),
        sa.Column("consent_id", sa.String(40), nullable=True),
        sa.Column("submitted_at", TS(), nullable=False),
        sa.Column("service_due_at", TS(), nullable=False),
        sa.Column("responded_at", TS(), nullable=True),
        sa.Column("decided_at", TS(), nullable=True),
        sa.Column("disbursed_at", TS(), nullable=True),
        sa.Column("window_breached_at", TS(), nullable=True),
        sa.Column("updated_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(["demand_id"], ["financing_demands.id"],
                                name=op.f("fk_financing_applications_demand_id_financing_demands")),
        sa.ForeignKeyConstraint(["product_id"], ["financing_products.id"],
                                name=op.f("fk_financing_applications_product_id_financing_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_applications")),
    )
    for col in ("demand_id", "product_id", "institution_id", "credit_code", "state",
                "service_due_at"):
        op.create_index(op.f(f"ix_financing_applications_{col}"), "financing_applications", [col])
    op.create_table(
        "financing_application_events",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("at", TS(), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_org", sa.String(40), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["financing_applications.id"],
            name=op.f("fk_financing_application_events_application_id_financing_applications")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_application_events")),
    )
    op.create_index(op.f("ix_financing_application_events_application_id"),
                    "financing_application_events", ["application_id"])
    op.create_table(
        "financing_alerts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("institution_id", sa.String(40), nullable=False),
        sa.Column("message", sa.String(300), nullable=False),
        sa.Column("due_at", TS(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["financing_applications.id"],
            name=op.f("fk_financing_alerts_application_id_financing_applications")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_alerts")),
        sa.UniqueConstraint("kind", "application_id",
                            name=op.f("uq_financing_alerts_kind_application_id")),
    )
    for col in ("application_id", "institution_id", "created_at"):
        op.create_index(op.f(f"ix_financing_alerts_{col}"), "financing_alerts", [col])


def downgrade() -> None:
    op.drop_table("financing_alerts")
    op.drop_table("financing_application_events")
    op.drop_table("financing_applications")
    op.drop_table("financing_demands")
    op.drop_table("financing_products")
