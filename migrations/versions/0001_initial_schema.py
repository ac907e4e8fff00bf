"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 09:29:03.231571
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "anime",
        sa.Column("anime_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("title_english", sa.String(length=512), nullable=True),
        sa.Column("title_japanese", sa.String(length=512), nullable=True),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("picture_url", sa.String(length=512), nullable=True),
        sa.Column("media_type", sa.String(length=16), nullable=True),
        sa.Column("genres", sa.JSON(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("popularity", sa.Integer(), nullable=True),
        sa.Column("nsfw", sa.String(length=8), nullable=True),
        sa.Column("num_episodes", sa.Integer(), nullable=True),
        sa.Column("start_season", sa.String(length=16), nullable=True),
        sa.Column("in_corpus", sa.Boolean(), nullable=False),
        sa.Column("details_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("anime_id", name=op.f("pk_anime")),
    )
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_state")),
    )
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("default_count", sa.SmallInteger(), nullable=False),
        sa.Column("allow_nsfw", sa.Boolean(), nullable=False),
        sa.Column("members_can_view_others", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_settings")),
    )
    op.create_table(
        "linked_accounts",
        sa.Column("discord_user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("mal_username", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("share_opt_in", sa.Boolean(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("list_fingerprint", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("discord_user_id", name=op.f("pk_linked_accounts")),
    )
    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_linked_accounts_last_checked_at"), ["last_checked_at"], unique=False
        )

    op.create_table(
        "list_entries",
        sa.Column("discord_user_id", sa.BigInteger(), nullable=False),
        sa.Column("anime_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("episodes", sa.Integer(), nullable=False),
        sa.Column("rewatching", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["discord_user_id"],
            ["linked_accounts.discord_user_id"],
            name=op.f("fk_list_entries_discord_user_id_linked_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("discord_user_id", "anime_id", name=op.f("pk_list_entries")),
    )


def downgrade() -> None:
    op.drop_table("list_entries")
    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linked_accounts_last_checked_at"))

    op.drop_table("linked_accounts")
    op.drop_table("guild_settings")
    op.drop_table("bot_state")
    op.drop_table("anime")
