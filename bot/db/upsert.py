"""``INSERT … ON CONFLICT`` for the two backends (SQLite and PostgreSQL both have it, each in
its own SQLAlchemy dialect module)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """The dialect's ``insert(table)``, which has ``on_conflict_do_nothing``/``_do_update``."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for the {name} backend")
