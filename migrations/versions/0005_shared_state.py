"""Shared state for several bot processes: refresh leases on linked accounts, a shared MAL
request budget and cross-process member cool-downs (issue #14)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "shared_budgets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_slot", sa.Float(), nullable=False),
        sa.Column("not_before", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_shared_budgets")),
    )
    op.create_table(
        "member_cooldowns",
        sa.Column("discord_user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("command", sa.String(length=16), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("window_end", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("discord_user_id", "command", name=op.f("pk_member_cooldowns")),
    )


def downgrade() -> None:
    op.drop_table("member_cooldowns")
    op.drop_table("shared_budgets")
    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
