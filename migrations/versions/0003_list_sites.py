"""list sites: AniList and Kitsu links (site user id) and their entries without a MAL id

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site_user_id", sa.String(length=32), nullable=True))
    op.create_table(
        "unmapped_entries",
        sa.Column("discord_user_id", sa.BigInteger(), nullable=False),
        sa.Column("site", sa.String(length=8), nullable=False),
        sa.Column("site_anime_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("episodes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(
            ["discord_user_id"],
            ["linked_accounts.discord_user_id"],
            name=op.f("fk_unmapped_entries_discord_user_id_linked_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "discord_user_id", "site", "site_anime_id", name=op.f("pk_unmapped_entries")
        ),
    )


def downgrade() -> None:
    op.drop_table("unmapped_entries")
    # AniList and Kitsu links keep their MAL-mapped entries (source stays "anilist"/"kitsu":
    # the older code treats them as links it cannot refresh, and nothing is lost).
    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.drop_column("site_user_id")
