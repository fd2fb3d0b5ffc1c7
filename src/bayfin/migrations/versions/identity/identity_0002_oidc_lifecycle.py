"""identity: key activation times, client secret rotation, amr and auth_time on grants

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_signing_keys") as batch:
        batch.add_column(sa.Column("activates_at", bayfin.kernel.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table("identity_apps") as batch:
        batch.add_column(sa.Column("previous_secret_hash", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("previous_secret_expires_at", bayfin.kernel.db.UTCDateTime(),
                                   nullable=True))
    with op.batch_alter_table("identity_authorization_codes") as batch:
        batch.add_column(sa.Column("amr", sa.JSON(), nullable=True))
    with op.batch_alter_table("identity_refresh_tokens") as batch:
        batch.add_column(sa.Column("amr", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("auth_time", bayfin.kernel.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identity_refresh_tokens") as batch:
        batch.drop_column("auth_time")
        batch.drop_column("amr")
    with op.batch_alter_table("identity_authorization_codes") as batch:
        batch.drop_column("amr")
    with op.batch_alter_table("identity_apps") as batch:
        batch.drop_column("previous_secret_expires_at")
        batch.drop_column("previous_secret_hash")
    with op.batch_alter_table("identity_signing_keys") as batch:
        batch.drop_column("activates_at")
