"""antifraud: an event id is unique per institution, not across banks

Revision ID: antifraud_0004
Revises: antifraud_0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "antifraud_0004"
down_revision = "antifraud_0003"
branch_labels = None
depends_on = None

#: Decisions and cases of the platform's own stream (no institution) keep one per event id: a unique
#: (event id, institution) pair alone would let NULL institutions repeat an id.
OWN = sa.text("institution_id IS NULL")


def upgrade() -> None:
    # Two banks may send the same event id: each gets its own decision and case.
    for table in ("fraud_decisions", "fraud_cases"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_event_id", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_event_id_institution_id",
                                           ["event_id", "institution_id"])
        op.create_index(f"uq_{table}_own_event_id", table, ["event_id"], unique=True,
                        sqlite_where=OWN, postgresql_where=OWN)


def downgrade() -> None:
    # refused by the database if two banks already recorded the same event id
    for table in ("fraud_decisions", "fraud_cases"):
        op.drop_index(f"uq_{table}_own_event_id", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_event_id_institution_id", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_event_id", ["event_id"])
