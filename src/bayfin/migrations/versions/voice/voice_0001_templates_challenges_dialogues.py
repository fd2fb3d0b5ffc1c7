"""voice: encrypted voiceprint templates, liveness challenges, assistant dialogues."""

import sqlalchemy as sa
from alembic import op

from bayfin.kernel.db import UTCDateTime

revision = "voice_0001"
down_revision = None
branch_labels = ("voice",)
depends_on = "kernel_0001"


def upgrade() -> None:
    """Create the voice tables."""
    op.create_table(
        "voice_templates",
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("organization", sa.String(64), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("embedder", sa.String(80), nullable=False),
        sa.Column("utterances", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_voice_templates")),
    )
    op.create_table(
        "voice_challenges",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("digits", sa.String(12), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_challenges")),
    )
    op.create_index(op.f("ix_voice_challenges_subject"), "voice_challenges", ["subject"])
    op.create_table(
        "voice_dialogues",
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_voice_dialogues")),
    )


def downgrade() -> None:
    """Drop the voice tables."""
    op.drop_table("voice_dialogues")
    op.drop_index(op.f("ix_voice_challenges_subject"), table_name="voice_challenges")
    op.drop_table("voice_challenges")
    op.drop_table("voice_templates")
