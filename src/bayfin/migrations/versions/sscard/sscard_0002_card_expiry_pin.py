"""sscard: card expiry date, keyed PIN reference and PIN try counter, checked by the ISO 8583 switch

Revision ID: sscard_0002
Revises: sscard_0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "sscard_0002"
down_revision = "sscard_0001"
branch_labels = None
depends_on = None

VALID_YEARS = 5


def upgrade() -> None:
    with op.batch_alter_table("sscard_cards") as batch:
        batch.add_column(sa.Column("expiry", sa.String(4), nullable=True))
        batch.add_column(sa.Column("pin_reference", sa.String(64), nullable=True))
        batch.add_column(sa.Column("pin_failures", sa.Integer(), nullable=False, server_default="0"))
    # Cards issued before this revision expire five years after issuance, like new ones; they have
    # no PIN reference until the holder sets a PIN, so the switch declines their PIN transactions.
    cards = sa.table("sscard_cards", sa.column("id", sa.String),
                     sa.column("issued_at", bayfin.kernel.db.UTCDateTime()), sa.column("expiry", sa.String))
    conn = op.get_bind()
    for card_id, issued_at in conn.execute(sa.select(cards.c.id, cards.c.issued_at)).all():
        expiry = f"{(issued_at.year + VALID_YEARS) % 100:02d}{issued_at.month:02d}"
        conn.execute(cards.update().where(cards.c.id == card_id).values(expiry=expiry))


def downgrade() -> None:
    with op.batch_alter_table("sscard_cards") as batch:
        batch.drop_column("pin_failures")
        batch.drop_column("pin_reference")
        batch.drop_column("expiry")
