"""riskmonitor: evidence batches, quarantine, evidence, licences, tags, index history, alerts, leads

Revision ID: riskmonitor_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "riskmonitor_0001"
down_revision = None
branch_labels = ("riskmonitor",)
depends_on = "kernel_0001"

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = bayfin.kernel.db.UTCDateTime


def _id(table: str) -> list[sa.Column[int]]:
    return [sa.Column("id", BigInt, primary_key=True, autoincrement=True)]


def upgrade() -> None:
    op.create_table(
        "risk_batch",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("ingested_at", UTC(), nullable=False),
        sa.Column("rows_in", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("duplicate", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_batch")),
    )
    op.create_index("ix_risk_batch_source", "risk_batch", ["source", "file_sha256"], unique=True)
    op.create_table(
        "risk_quarantine",
        *_id("risk_quarantine"),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_quarantine")),
    )
    op.create_index(op.f("ix_risk_quarantine_batch_id"), "risk_quarantine", ["batch_id"])
    op.create_table(
        "risk_evidence",
        *_id("risk_evidence"),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("mention", sa.String(500), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=True),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("amount_fen", BigInt, nullable=True),
        sa.Column("traffic", sa.Integer(), nullable=True),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("link_method", sa.String(40), nullable=False),
        sa.Column("link_confidence", sa.Float(), nullable=False),
        sa.Column("link_candidates", sa.JSON(), nullable=False),
        sa.Column("review_status", sa.String(20), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_evidence")),
    )
    op.create_index("ix_risk_evidence_content_hash", "risk_evidence", ["content_hash"], unique=True)
    op.create_index(op.f("ix_risk_evidence_credit_code"), "risk_evidence", ["credit_code"])
    op.create_index(op.f("ix_risk_evidence_review_status"), "risk_evidence", ["review_status"])
    op.create_table(
        "risk_licence",
        *_id("risk_licence"),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("licence_type", sa.String(40), nullable=False),
        sa.Column("licence_no", sa.String(60), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_licence")),
    )
    op.create_index("ix_risk_licence_licence_no", "risk_licence", ["licence_no"], unique=True)
    op.create_index(op.f("ix_risk_licence_credit_code"), "risk_licence", ["credit_code"])
    op.create_table(
        "risk_tag",
        *_id("risk_tag"),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("tag", sa.String(60), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("evidence_id", BigInt, nullable=True),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_tag")),
    )
    op.create_index(op.f("ix_risk_tag_credit_code"), "risk_tag", ["credit_code"])
    op.create_table(
        "risk_score",
        *_id("risk_score"),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("scored_at", UTC(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("estimates", sa.JSON(), nullable=False),
        sa.Column("trigger", sa.String(60), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_score")),
    )
    op.create_index(op.f("ix_risk_score_credit_code"), "risk_score", ["credit_code"])
    op.create_index(op.f("ix_risk_score_level"), "risk_score", ["level"])
    op.create_table(
        "risk_alert",
        *_id("risk_alert"),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("raised_at", UTC(), nullable=False),
        sa.Column("from_level", sa.String(20), nullable=False),
        sa.Column("to_level", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("lead_id", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_alert")),
    )
    op.create_index(op.f("ix_risk_alert_credit_code"), "risk_alert", ["credit_code"])
    op.create_table(
        "risk_lead",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("alert_id", BigInt, nullable=True),
        sa.Column("opened_at", UTC(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("assignee", sa.String(120), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("closed_at", UTC(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_lead")),
    )
    op.create_index(op.f("ix_risk_lead_credit_code"), "risk_lead", ["credit_code"])
    op.create_index(op.f("ix_risk_lead_status"), "risk_lead", ["status"])


def downgrade() -> None:
    for table in (
        "risk_lead", "risk_alert", "risk_score", "risk_tag", "risk_licence", "risk_evidence",
        "risk_quarantine", "risk_batch",
    ):  # fmt: skip
        op.drop_table(table)
