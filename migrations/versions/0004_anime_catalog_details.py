"""anime: MAL's studios, relations, airing status, scored-by count and popularity rank

Kept so that the catalog's links to titles MAL added after the shipped catalog (a new season's
sequel) survive a restart (issue #11).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 19:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("anime", schema=None) as batch_op:
        batch_op.add_column(sa.Column("studios", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("related", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("num_scoring_users", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("popularity_rank", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("anime", schema=None) as batch_op:
        batch_op.drop_column("popularity_rank")
        batch_op.drop_column("num_scoring_users")
        batch_op.drop_column("status")
        batch_op.drop_column("related")
        batch_op.drop_column("studios")
