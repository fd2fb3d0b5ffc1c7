"""sscard: banks, channels, cards, the double-entry ledger, switch messages and QR codes

Revision ID: sscard_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "sscard_0001"
down_revision = None
branch_labels = ("sscard",)
depends_on = "kernel_0001"

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = bayfin.kernel.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "sscard_banks",
        sa.Column("id", sa.String(20), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("iin", sa.String(6), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_banks")),
        sa.UniqueConstraint("iin", name=op.f("uq_sscard_banks_iin")),
    )
    op.create_table(
        "sscard_channels",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_channels")),
    )
    op.create_table(
        "sscard_cardholders",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_number_digest", sa.String(64), nullable=False),
        sa.Column("id_number_masked", sa.String(24), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("created_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_cardholders")),
        sa.UniqueConstraint("id_number_digest", name=op.f("uq_sscard_cardholders_id_number_digest")),
        sa.UniqueConstraint("subject", name=op.f("uq_sscard_cardholders_subject")),
    )
    op.create_table(
        "sscard_accounts",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("bank_id", sa.String(20), nullable=True),
        sa.Column("currency", sa.Integer(), nullable=False),
        sa.Column("balance_minor", BigInt, nullable=False),
        sa.Column("may_go_negative", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.CheckConstraint("may_go_negative OR balance_minor >= 0",
                           name=op.f("ck_sscard_accounts_no_overdraft")),
        sa.ForeignKeyConstraint(["bank_id"], ["sscard_banks.id"],
                                name=op.f("fk_sscard_accounts_bank_id_sscard_banks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_accounts")),
        sa.UniqueConstraint("id", "currency", name="uq_sscard_accounts_id_currency"),
        sa.UniqueConstraint("name", name=op.f("uq_sscard_accounts_name")),
    )
    op.create_index(op.f("ix_sscard_accounts_bank_id"), "sscard_accounts", ["bank_id"])
    op.create_table(
        "sscard_cards",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("cardholder_id", sa.String(40), nullable=False),
        sa.Column("bank_id", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("pan_digest", sa.String(64), nullable=False),
        sa.Column("pan_masked", sa.String(24), nullable=False),
        sa.Column("account_id", BigInt, nullable=False),
        sa.Column("bound_card_id", sa.String(40), nullable=True),
        sa.Column("channel_id", sa.String(40), nullable=True),
        sa.Column("daily_limit_minor", BigInt, nullable=False),
        sa.Column("issued_at", TS(), nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(["cardholder_id"], ["sscard_cardholders.id"],
                                name=op.f("fk_sscard_cards_cardholder_id_sscard_cardholders")),
        sa.ForeignKeyConstraint(["bank_id"], ["sscard_banks.id"],
                                name=op.f("fk_sscard_cards_bank_id_sscard_banks")),
        sa.ForeignKeyConstraint(["account_id"], ["sscard_accounts.id"],
                                name=op.f("fk_sscard_cards_account_id_sscard_accounts")),
        sa.ForeignKeyConstraint(["bound_card_id"], ["sscard_cards.id"],
                                name=op.f("fk_sscard_cards_bound_card_id_sscard_cards")),
        sa.ForeignKeyConstraint(["channel_id"], ["sscard_channels.id"],
                                name=op.f("fk_sscard_cards_channel_id_sscard_channels")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_cards")),
        sa.UniqueConstraint("pan_digest", name=op.f("uq_sscard_cards_pan_digest")),
    )
    for col in ("cardholder_id", "bank_id", "account_id", "bound_card_id", "channel_id"):
        op.create_index(op.f(f"ix_sscard_cards_{col}"), "sscard_cards", [col])
    op.create_table(
        "sscard_type_limits",
        sa.Column("txn_type", sa.String(20), nullable=False),
        sa.Column("daily_limit_minor", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("txn_type", name=op.f("pk_sscard_type_limits")),
    )
    op.create_table(
        "sscard_fx_rates",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.Integer(), nullable=False),
        sa.Column("billing_currency", sa.Integer(), nullable=False),
        sa.Column("mid_rate", sa.String(24), nullable=False),
        sa.Column("spread", sa.String(12), nullable=False),
        sa.PrimaryKeyConstraint("business_date", "currency", "billing_currency",
                                name=op.f("pk_sscard_fx_rates")),
    )
    op.create_table(
        "sscard_ledger_txns",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("card_id", sa.String(40), nullable=True),
        sa.Column("bank_id", sa.String(20), nullable=True),
        sa.Column("region", sa.String(2), nullable=True),
        sa.Column("cross_border", sa.Boolean(), nullable=False),
        sa.Column("amount_minor", BigInt, nullable=False),
        sa.Column("currency", sa.Integer(), nullable=False),
        sa.Column("billing_minor", BigInt, nullable=False),
        sa.Column("billing_currency", sa.Integer(), nullable=False),
        sa.Column("spread_minor", BigInt, nullable=False),
        sa.Column("applied_rate", sa.String(24), nullable=False),
        sa.Column("reverses_txn_id", BigInt, nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["sscard_cards.id"],
                                name=op.f("fk_sscard_ledger_txns_card_id_sscard_cards")),
        sa.ForeignKeyConstraint(["bank_id"], ["sscard_banks.id"],
                                name=op.f("fk_sscard_ledger_txns_bank_id_sscard_banks")),
        sa.ForeignKeyConstraint(["reverses_txn_id"], ["sscard_ledger_txns.id"],
                                name=op.f("fk_sscard_ledger_txns_reverses_txn_id_sscard_ledger_txns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_ledger_txns")),
        sa.UniqueConstraint("reverses_txn_id", name=op.f("uq_sscard_ledger_txns_reverses_txn_id")),
    )
    for col in ("kind", "business_date", "card_id", "bank_id"):
        op.create_index(op.f(f"ix_sscard_ledger_txns_{col}"), "sscard_ledger_txns", [col])
    op.create_table(
        "sscard_entries",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("txn_id", BigInt, nullable=False),
        sa.Column("source_account_id", BigInt, nullable=False),
        sa.Column("destination_account_id", BigInt, nullable=False),
        sa.Column("currency", sa.Integer(), nullable=False),
        sa.Column("amount_minor", BigInt, nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_sscard_entries_positive_amount")),
        sa.CheckConstraint("source_account_id <> destination_account_id",
                           name=op.f("ck_sscard_entries_distinct_accounts")),
        sa.ForeignKeyConstraint(["txn_id"], ["sscard_ledger_txns.id"],
                                name=op.f("fk_sscard_entries_txn_id_sscard_ledger_txns")),
        sa.ForeignKeyConstraint(["source_account_id", "currency"],
                                ["sscard_accounts.id", "sscard_accounts.currency"],
                                name="fk_sscard_entries_source_currency"),
        sa.ForeignKeyConstraint(["destination_account_id", "currency"],
                                ["sscard_accounts.id", "sscard_accounts.currency"],
                                name="fk_sscard_entries_destination_currency"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_entries")),
    )
    for col in ("txn_id", "source_account_id", "destination_account_id"):
        op.create_index(op.f(f"ix_sscard_entries_{col}"), "sscard_entries", [col])
    op.create_table(
        "sscard_daily_usage",
        sa.Column("card_id", sa.String(40), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("txn_type", sa.String(20), nullable=False),
        sa.Column("used_minor", BigInt, nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["sscard_cards.id"],
                                name=op.f("fk_sscard_daily_usage_card_id_sscard_cards")),
        sa.PrimaryKeyConstraint("card_id", "business_date", "txn_type",
                                name=op.f("pk_sscard_daily_usage")),
    )
    op.create_table(
        "sscard_switch_messages",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("acquirer_id", sa.String(11), nullable=False),
        sa.Column("message_class", sa.String(16), nullable=False),
        sa.Column("stan", sa.String(6), nullable=False),
        sa.Column("rrn", sa.String(12), nullable=False),
        sa.Column("request_mti", sa.String(4), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("response_code", sa.String(2), nullable=False),
        sa.Column("response_fields", sa.JSON(), nullable=False),
        sa.Column("txn_id", BigInt, nullable=True),
        sa.Column("reversed", sa.Boolean(), nullable=False),
        sa.Column("received_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(["txn_id"], ["sscard_ledger_txns.id"],
                                name=op.f("fk_sscard_switch_messages_txn_id_sscard_ledger_txns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_switch_messages")),
        sa.UniqueConstraint("acquirer_id", "message_class", "stan", "rrn",
                            name="uq_sscard_switch_messages_key"),
    )
    op.create_index(op.f("ix_sscard_switch_messages_txn_id"), "sscard_switch_messages", ["txn_id"])
    op.create_table(
        "sscard_qr_codes",
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("card_id", sa.String(40), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("expires_at", TS(), nullable=False),
        sa.Column("used_at", TS(), nullable=True),
        sa.Column("txn_id", BigInt, nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["sscard_cards.id"],
                                name=op.f("fk_sscard_qr_codes_card_id_sscard_cards")),
        sa.ForeignKeyConstraint(["txn_id"], ["sscard_ledger_txns.id"],
                                name=op.f("fk_sscard_qr_codes_txn_id_sscard_ledger_txns")),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_sscard_qr_codes")),
    )
    op.create_index(op.f("ix_sscard_qr_codes_card_id"), "sscard_qr_codes", ["card_id"])
    op.create_table(
        "sscard_medical_payments",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("txn_id", BigInt, nullable=False),
        sa.Column("card_id", sa.String(40), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("total_minor", BigInt, nullable=False),
        sa.Column("fund_minor", BigInt, nullable=False),
        sa.Column("personal_minor", BigInt, nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.ForeignKeyConstraint(["txn_id"], ["sscard_ledger_txns.id"],
                                name=op.f("fk_sscard_medical_payments_txn_id_sscard_ledger_txns")),
        sa.ForeignKeyConstraint(["card_id"], ["sscard_cards.id"],
                                name=op.f("fk_sscard_medical_payments_card_id_sscard_cards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sscard_medical_payments")),
        sa.UniqueConstraint("txn_id", name=op.f("uq_sscard_medical_payments_txn_id")),
    )
    op.create_index(op.f("ix_sscard_medical_payments_card_id"), "sscard_medical_payments", ["card_id"])


def downgrade() -> None:
    for table in ("sscard_medical_payments", "sscard_qr_codes", "sscard_switch_messages",
                  "sscard_daily_usage", "sscard_entries", "sscard_ledger_txns", "sscard_fx_rates",
                  "sscard_type_limits", "sscard_cards", "sscard_accounts", "sscard_cardholders",
                  "sscard_channels", "sscard_banks"):
        op.drop_table(table)
