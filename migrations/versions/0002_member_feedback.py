"""member feedback: not interested, already seen, seen it and liked it (issue #15)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_feedback",
        sa.Column("discord_user_id", sa.BigInteger(), nullable=False),
        sa.Column("anime_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["discord_user_id"],
            ["linked_accounts.discord_user_id"],
            name=op.f("fk_member_feedback_discord_user_id_linked_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("discord_user_id", "anime_id", name=op.f("pk_member_feedback")),
    )


def downgrade() -> None:
    op.drop_table("member_feedback")
