"""sscard: card expiry date, keyed PIN reference and PIN try counter, checked by the ISO 8583 switch

Revision ID: sscard_0002
Revises: sscard_0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sscard_0002"
down_revision = "sscard_0001"
branch_labels = None
depends_on = None

#: Expiry = issued_at five years on, as YYMM (sscard.cards.card_expiry). PostgreSQL stores timestamptz
#: (read here in UTC, whatever the session's time zone); SQLite stores the UTC time as text.
_BACKFILL_EXPIRY = {
    "postgresql": "UPDATE sscard_cards SET expiry = to_char((issued_at AT TIME ZONE 'UTC') "
                  "+ interval '5 years', 'YYMM') WHERE expiry IS NULL",
    "sqlite": "UPDATE sscard_cards SET expiry = printf('%02d%s', "
              "(CAST(substr(issued_at, 1, 4) AS INTEGER) + 5) % 100, substr(issued_at, 6, 2)) "
              "WHERE expiry IS NULL",
}


def upgrade() -> None:
    with op.batch_alter_table("sscard_cards") as batch:
        batch.add_column(sa.Column("expiry", sa.String(4), nullable=True))
        batch.add_column(sa.Column("pin_reference", sa.String(64), nullable=True))
        batch.add_column(sa.Column("pin_failures", sa.Integer(), nullable=False, server_default="0"))
    # Cards issued before this revision expire five years after issuance (YYMM, UTC), like new ones;
    # they have no PIN reference until the holder sets a PIN, so the switch declines their PIN
    # transactions. One set-based UPDATE, no rows read back: it also stands in the offline SQL
    # (``bayfin db upgrade --sql``, PostgreSQL only), where there is no database to query.
    op.execute(sa.text(_BACKFILL_EXPIRY[op.get_context().dialect.name]))


def downgrade() -> None:
    with op.batch_alter_table("sscard_cards") as batch:
        batch.drop_column("pin_failures")
        batch.drop_column("pin_reference")
        batch.drop_column("expiry")
