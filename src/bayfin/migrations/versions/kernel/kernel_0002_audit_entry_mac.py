"""kernel: each audit entry carries a nonce and a MAC from the moment it is written

Rows still waiting for the sealer when this runs were written by the previous release, which trusted
every unsealed row; they get their MAC here from the configured audit key (the last time an unsealed
row is taken on trust), so no entry committed before the upgrade is lost. Drain the sealer first
(``bayfin audit seal``) to keep that window empty.

Revision ID: kernel_0002
Revises: kernel_0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import context, op

import bayfin.kernel.db

revision = "kernel_0002"
down_revision = "kernel_0001"
branch_labels = None
depends_on = None

_PENDING = "seq IS NULL AND rejected_at IS NULL"


def _adopt_pending() -> None:
    from bayfin.kernel.audit import AuditEntry, entry_key, entry_mac
    from bayfin.kernel.settings import get_settings

    log = sa.table("audit_log", sa.column("id", sa.Integer()), sa.column("seq", sa.Integer()),
                   sa.column("at", bayfin.kernel.db.UTCDateTime()), sa.column("actor", sa.String()),
                   sa.column("actor_org", sa.String()), sa.column("action", sa.String()),
                   sa.column("subject_type", sa.String()), sa.column("subject_id", sa.String()),
                   sa.column("outcome", sa.String()), sa.column("purpose", sa.String()),
                   sa.column("details", sa.JSON()), sa.column("nonce", sa.String()),
                   sa.column("mac", sa.String()))
    if context.is_offline_mode():
        return  # offline SQL (``db upgrade --sql``) cannot read rows: drain the sealer before applying it
    bind = op.get_bind()
    fields = ("at", "actor", "actor_org", "action", "subject_type", "subject_id", "outcome", "purpose",
              "details")
    rows = bind.execute(sa.select(log.c.id, *(log.c[f] for f in fields)).where(log.c.seq.is_(None))).all()
    if not rows:
        return
    key = entry_key(get_settings().audit_key.get_secret_value().encode())
    for row in rows:
        entry = AuditEntry(nonce=secrets.token_hex(16), **{f: getattr(row, f) for f in fields})
        bind.execute(sa.update(log).where(log.c.id == row.id)
                     .values(nonce=entry.nonce, mac=entry_mac(key, entry)))


def upgrade() -> None:
    op.drop_index("ix_audit_log_pending", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("nonce", sa.String(32), nullable=True))
        batch.add_column(sa.Column("mac", sa.String(64), nullable=True))
        batch.add_column(sa.Column("rejected_at", bayfin.kernel.db.UTCDateTime(), nullable=True))
        batch.create_unique_constraint(op.f("uq_audit_log_nonce"), ["nonce"])
    op.create_index("ix_audit_log_pending", "audit_log", ["id"], sqlite_where=sa.text(_PENDING),
                    postgresql_where=sa.text(_PENDING))
    _adopt_pending()


def downgrade() -> None:
    op.drop_index("ix_audit_log_pending", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint(op.f("uq_audit_log_nonce"), type_="unique")
        batch.drop_column("rejected_at")
        batch.drop_column("mac")
        batch.drop_column("nonce")
    op.create_index("ix_audit_log_pending", "audit_log", ["id"], sqlite_where=sa.text("seq IS NULL"),
                    postgresql_where=sa.text("seq IS NULL"))
