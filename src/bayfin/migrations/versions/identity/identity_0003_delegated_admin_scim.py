"""identity: groups owned by an organization, SCIM attributes kept on users and members, invitations

Revision ID: identity_0003
Revises: identity_0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None

TS = bayfin.kernel.db.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("identity_users") as batch:
        batch.add_column(sa.Column("scim_attributes", sa.JSON(), nullable=False,
                                   server_default=sa.text("'{}'")))
    with op.batch_alter_table("identity_groups") as batch:
        batch.add_column(sa.Column("organization_id", sa.String(length=40), nullable=True))
        batch.create_foreign_key(batch.f("fk_identity_groups_organization_id_identity_organizations"),
                                 "identity_organizations", ["organization_id"], ["id"])
        batch.create_index(batch.f("ix_identity_groups_organization_id"), ["organization_id"],
                           unique=False)
        batch.drop_constraint(batch.f("uq_identity_groups_display_name"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_identity_groups_organization_id_display_name"),
                                       ["organization_id", "display_name"])
    with op.batch_alter_table("identity_group_members") as batch:
        batch.add_column(sa.Column("display", sa.String(length=200), nullable=True))
    op.create_table(
        "identity_invitations",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("expires_at", TS(), nullable=False),
        sa.Column("used_at", TS(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["identity_users.id"],
                                name=op.f("fk_identity_invitations_user_id_identity_users")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_identity_invitations")))
    op.create_index(op.f("ix_identity_invitations_user_id"), "identity_invitations", ["user_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_identity_invitations_user_id"), table_name="identity_invitations")
    op.drop_table("identity_invitations")
    with op.batch_alter_table("identity_group_members") as batch:
        batch.drop_column("display")
    with op.batch_alter_table("identity_groups") as batch:
        batch.drop_constraint(batch.f("uq_identity_groups_organization_id_display_name"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_identity_groups_display_name"), ["display_name"])
        batch.drop_index(batch.f("ix_identity_groups_organization_id"))
        batch.drop_constraint(batch.f("fk_identity_groups_organization_id_identity_organizations"),
                              type_="foreignkey")
        batch.drop_column("organization_id")
    with op.batch_alter_table("identity_users") as batch:
        batch.drop_column("scim_attributes")
